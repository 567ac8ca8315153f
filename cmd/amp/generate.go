package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// generateFlagNames are the flags of generate that build the request body, which --params-file replaces.
var generateFlagNames = append([]string{
	"provider", "group-ref", "group-name", "consumer-ref", "consumer-name", "workspace-ref",
}, credentialFlagNames...)

// newGenerateCmd returns `amp connections generate`: Connections.Generate, with the body from flags and
// credential files, or whole from --params-file.
func (a *app) newGenerateCmd() *cobra.Command {
	var (
		req        client.GenerateConnectionRequest
		cred       credentialFlags
		paramsFile string
	)
	p := &req.Params
	cmd := &cobra.Command{
		Use:   "generate --project P (--provider X --group-ref G --consumer-ref C [flags] | --params-file FILE)",
		Short: "Import a credential as a new connection",
		Long: `Import a credential as a new connection of a project, and print it (without its credential).
--provider, --group-ref and --consumer-ref are required; the group and consumer are created on first use,
named by --group-name and --consumer-name. With no credential the connection has auth scheme none.

` + credentialHelp + `

--params-file FILE (- for stdin) replaces all of these flags with a complete GenerateConnectionParams
JSON document, the body of the API's generateConnection (unknown fields are refused), e.g.
  {"provider": "hubspot", "groupRef": "acme", "consumerRef": "jane", "apiKey": "pat-na1-…"}

Generate is not idempotent: it is retried only when the server cannot have created the connection.`,
		Example: `  amp connections generate --project my-project --provider hubspot --group-ref acme --consumer-ref jane \
      --api-key-credential-file ./hubspot.key
  pass show hubspot | amp connections generate -p my-project --provider hubspot --group-ref acme \
      --consumer-ref jane --api-key-credential-file -
  amp connections generate --project my-project --params-file connection.json`,
		Args:              noArgsButProject,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("params-file") {
				if given := changedFlags(cmd, generateFlagNames); len(given) > 0 {
					return usageErrorf("--params-file gives the whole request: drop %s", strings.Join(given, ", "))
				}
				if err := a.readParams(paramsFile, p); err != nil {
					return err
				}
			} else {
				var missing []string
				for _, f := range []struct{ name, value string }{
					{"provider", p.Provider}, {"group-ref", p.GroupRef}, {"consumer-ref", p.ConsumerRef},
				} {
					if f.value == "" {
						missing = append(missing, "--"+f.name)
					}
				}
				if len(missing) > 0 {
					return usageErrorf("missing %s (or give the whole request with --params-file)", strings.Join(missing, ", "))
				}
				c, err := cred.read(a, cmd)
				if err != nil {
					return err
				}
				p.APIKey, p.BasicAuth, p.OAuth2ClientCredentials = c.apiKey, c.basicAuth, c.clientCreds
			}
			c, err := a.newClient(cmd)
			if err != nil {
				return err
			}
			conn, err := c.Connections.Generate(cmd.Context(), req)
			if err != nil {
				return err
			}
			return a.printConnection(conn, false)
		}),
	}
	addProjectFlag(cmd, &req.ProjectIDOrName)
	ownerFlags{&p.Provider, &p.GroupRef, &p.GroupName, &p.ConsumerRef, &p.ConsumerName, &p.ProviderWorkspaceRef}.add(cmd)
	f := cmd.Flags()
	cred.register(cmd)
	f.StringVar(&paramsFile, "params-file", "", "read the whole request body, GenerateConnectionParams JSON, from `FILE` (- for stdin)")
	_ = cmd.MarkFlagFilename("params-file", "json")
	noFlagValues(cmd, "project")
	return cmd
}
