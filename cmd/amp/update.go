package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// updateFlagNames are the flags of update that build the request body, which --params-file replaces.
var updateFlagNames = append([]string{"mask", "workspace-ref"}, credentialFlagNames...)

// valueFlags names the flags that set each updatable field (which field a mask value names is
// client.MaskedField's rule); a field without any is set with --params-file.
var valueFlags = map[client.UpdateMaskField]string{
	client.UpdateMaskFieldProviderWorkspaceRef:    "--workspace-ref",
	client.UpdateMaskFieldAPIKey:                  "--api-key-credential-file",
	client.UpdateMaskFieldBasicAuth:               "--basic-username and --basic-password-file",
	client.UpdateMaskFieldOAuth2ClientCredentials: "--client-id and --client-secret-file",
}

// updateMaskFields are the values --mask accepts, in the API's spelling: the spec's (client.UpdateMaskFieldValues).
func updateMaskFields() []string {
	var out []string
	for _, f := range client.UpdateMaskFieldValues() {
		out = append(out, string(f))
	}
	return out
}

// newUpdateCmd returns `amp connections update`: Connections.Update, with the mask and values from flags and
// credential files, or the whole body from --params-file.
func (a *app) newUpdateCmd() *cobra.Command {
	var (
		req          client.UpdateConnectionRequest
		cred         credentialFlags
		mask         []string
		workspaceRef string
		paramsFile   string
	)
	cmd := &cobra.Command{
		Use:   "update CONNECTION-ID --project P ([--mask FIELDS] VALUE-FLAGS... | --params-file FILE) [flags]",
		Short: "Change a connection's workspace reference or rotate its credential",
		Long: `Change the fields of a connection named in the update mask, and print the connection (without its
credential). Each value flag sets one field:
  --workspace-ref REF                         providerWorkspaceRef
  --api-key-credential-file FILE              apiKey
  --basic-username U --basic-password-file F  basicAuth
  --client-id I --client-secret-file F        oauth2ClientCredentials
Without --mask, the update mask is the fields of the value flags given. --mask names them explicitly
(comma-separated, the API's names) and must match the value flags; providerMetadata and
oauth2PasswordCredentials need --params-file. A credential must match the connection's auth scheme.

` + credentialHelp + `

--params-file FILE (- for stdin) replaces --mask and the value flags with a complete UpdateConnectionParams
JSON document, the body of the API's updateConnection (unknown fields are refused), e.g.
  {"updateMask": ["providerMetadata"], "connection": {"providerMetadata": {"instance": {"value": "eu1", "source": "input"}}}}`,
		Example: `  amp connections update conn-123 --project my-project --workspace-ref acme.my.salesforce.com
  amp connections update conn-123 --project my-project --mask apiKey --api-key-credential-file ./new.key
  amp connections update conn-123 --project my-project --params-file update.json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			req.ConnectionID = args[0]
			if cmd.Flags().Changed("params-file") {
				if given := changedFlags(cmd, updateFlagNames); len(given) > 0 {
					return usageErrorf("--params-file gives the whole request: drop %s", strings.Join(given, ", "))
				}
				if err := a.readParams(paramsFile, &req.Params); err != nil {
					return err
				}
			} else {
				params, err := updateParams(a, cmd, &cred, workspaceRef, mask)
				if err != nil {
					return err
				}
				req.Params = params
			}
			c, err := a.newClient(cmd)
			if err != nil {
				return err
			}
			conn, err := c.Connections.Update(cmd.Context(), req)
			if err != nil {
				return err
			}
			return a.printConnection(conn, false)
		}),
	}
	addProjectFlag(cmd, &req.ProjectIDOrName)
	f := cmd.Flags()
	f.StringSliceVar(&mask, "mask", nil, "the `FIELDS` to update, comma-separated (default: those of the value flags given)")
	f.StringVar(&workspaceRef, "workspace-ref", "", "new provider workspace reference (providerWorkspaceRef)")
	cred.register(cmd)
	f.StringVar(&paramsFile, "params-file", "", "read the whole request body, UpdateConnectionParams JSON, from `FILE` (- for stdin)")
	_ = cmd.MarkFlagFilename("params-file", "json")
	_ = cmd.RegisterFlagCompletionFunc("mask", cobra.FixedCompletions(updateMaskFields(), cobra.ShellCompDirectiveNoFileComp))
	noFlagValues(cmd, "project", "workspace-ref")
	return cmd
}

// updateParams builds the body of an update from the value flags and --mask.
func updateParams(a *app, cmd *cobra.Command, cf *credentialFlags, workspaceRef string, mask []string) (client.UpdateConnectionParams, error) {
	var (
		p     client.UpdateConnectionParams
		set   = map[client.UpdateMaskField]string{} // the fields the value flags set → those flags
		order []client.UpdateMaskField              // the same fields, in the order of the flags
	)
	if cmd.Flags().Changed("workspace-ref") {
		if workspaceRef == "" {
			return p, usageErrorf("--workspace-ref is empty")
		}
		p.Connection.ProviderWorkspaceRef = workspaceRef
		set[client.UpdateMaskFieldProviderWorkspaceRef] = "--workspace-ref"
		order = append(order, client.UpdateMaskFieldProviderWorkspaceRef)
	}
	cred, err := cf.read(a, cmd)
	if err != nil {
		return p, err
	}
	if cred.mask != "" {
		p.Connection.APIKey, p.Connection.BasicAuth, p.Connection.OAuth2ClientCredentials = cred.apiKey, cred.basicAuth, cred.clientCreds
		set[cred.mask] = cred.flags
		order = append(order, cred.mask)
	}
	if !cmd.Flags().Changed("mask") {
		if len(order) == 0 {
			return p, usageErrorf("nothing to update: give --workspace-ref or a credential, or --params-file")
		}
		p.UpdateMask = order
		return p, nil
	}
	if len(mask) == 0 {
		return p, usageErrorf("--mask is empty: name the fields to update")
	}
	for _, m := range mask {
		field := client.UpdateMaskField(strings.TrimSpace(m))
		if !field.Valid() {
			return p, usageErrorf("invalid --mask field %q: use %s", m, strings.Join(updateMaskFields(), ", "))
		}
		if _, ok := set[field]; !ok {
			hint := "set it with --params-file"
			if valueFlags[field] != "" {
				hint = "give " + valueFlags[field]
			}
			return p, usageErrorf("--mask names %s, but no flag sets it: %s", field, hint)
		}
		if !slices.Contains(p.UpdateMask, field) {
			p.UpdateMask = append(p.UpdateMask, field)
		}
	}
	for _, field := range order {
		if !slices.Contains(p.UpdateMask, field) {
			return p, usageErrorf("%s sets %s, which --mask does not name", set[field], field)
		}
	}
	return p, nil
}
