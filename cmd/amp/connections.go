package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// newConnectionsCmd returns `amp connections` and its subcommands.
func (a *app) newConnectionsCmd() *cobra.Command {
	cmd := newGroupCmd("connections", "List, get, generate, update and delete the connections of a project")
	cmd.Aliases = []string{"connection", "conn"}
	cmd.Long = `The connections of an Ampersand project: each is one customer's stored credential for one SaaS provider.
Every subcommand needs --project, the project's ID or name.`
	cmd.AddCommand(a.newListCmd(), a.newGetCmd(), a.newGenerateCmd(), a.newUpdateCmd(), a.newDeleteCmd())
	return cmd
}

// addProjectFlag adds the required --project flag to cmd.
func addProjectFlag(cmd *cobra.Command, project *string) {
	cmd.Flags().StringVarP(project, "project", "p", "", "project ID or name (required)")
	_ = cmd.MarkFlagRequired("project")
}

// ownerFlags are the flags that say whose connection a command makes: generate's and oauth connect's.
type ownerFlags struct{ provider, groupRef, groupName, consumerRef, consumerName, workspaceRef *string }

// add registers the owner flags on cmd, with file completion off.
func (o ownerFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(o.provider, "provider", "", "the provider, e.g. salesforce or hubspot (required)")
	f.StringVar(o.groupRef, "group-ref", "", "your ID for the group (customer) that owns the connection (required)")
	f.StringVar(o.groupName, "group-name", "", "the group's display name")
	f.StringVar(o.consumerRef, "consumer-ref", "", "your ID for the consumer (user) who makes the connection (required)")
	f.StringVar(o.consumerName, "consumer-name", "", "the consumer's display name")
	f.StringVar(o.workspaceRef, "workspace-ref", "", "the provider workspace, e.g. acme.my.salesforce.com")
	noFlagValues(cmd, "provider", "group-ref", "group-name", "consumer-ref", "consumer-name", "workspace-ref")
}

// noFlagValues turns off file completion for flags whose values amp cannot guess.
func noFlagValues(cmd *cobra.Command, names ...string) {
	for _, name := range names {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}
}

// newListCmd returns `amp connections list`: Connections.List with the filters as flags.
func (a *app) newListCmd() *cobra.Command {
	var req client.ListConnectionsRequest
	cmd := &cobra.Command{
		Use:   "list --project P [--provider X] [--group-ref G] [--consumer-ref C]",
		Short: "List the connections of a project",
		Long: `List the connections of a project, optionally only those of one provider, group or consumer (filters
combine). Credentials are never included.

Table columns: ID, PROVIDER, GROUP (group ref), CONSUMER (consumer ref), WORKSPACE (provider workspace ref),
AUTH SCHEME, STATUS, CREATED (UTC).
JSON: an array of the API's Connection objects ([] when there are none). JSON lines (-o jsonl): one
Connection per line, printed as it arrives — the list is streamed, so a project of any size is listed in
constant memory.`,
		Example: `  amp connections list --project my-project
  amp connections list --project my-project --provider salesforce --group-ref acme -o json | jq -r '.[].id'
  amp connections list --project big-project -o jsonl --timeout 0 > connections.jsonl`,
		Args:              noArgsButProject,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, err := a.newClient(cmd)
			if err != nil {
				return err
			}
			if a.format() == formatJSONL {
				for conn, err := range c.Connections.All(cmd.Context(), req) {
					if err != nil {
						return err
					}
					if err := writeJSONLine(a.stdout, maskConnection(*conn)); err != nil {
						return err
					}
				}
				return nil
			}
			conns, err := c.Connections.List(cmd.Context(), req)
			if err != nil {
				return err
			}
			return a.printConnections(conns)
		}),
	}
	addProjectFlag(cmd, &req.ProjectIDOrName)
	f := cmd.Flags()
	f.StringVar(&req.Provider, "provider", "", "only connections to this provider, e.g. salesforce")
	f.StringVar(&req.GroupRef, "group-ref", "", "only connections of this group (your ID for the customer)")
	f.StringVar(&req.ConsumerRef, "consumer-ref", "", "only connections of this consumer (your ID for the user)")
	noFlagValues(cmd, "project", "provider", "group-ref", "consumer-ref")
	return cmd
}

// newGetCmd returns `amp connections get`: Connections.Get, printing credentials masked unless --show-secrets.
func (a *app) newGetCmd() *cobra.Command {
	var (
		req         client.GetConnectionRequest
		refresh     string
		showSecrets bool
	)
	cmd := &cobra.Command{
		Use:   "get CONNECTION-ID --project P [--include-creds] [--include-refresh-token] [--refresh MODE] [--show-secrets]",
		Short: "Show one connection, optionally with its credentials",
		Long: `Show one connection. With --include-creds the reply carries the API key or the OAuth2 access token and
scopes; with --include-refresh-token the refresh token too. --refresh renews an OAuth2 access token first:
force always, ifExpired only when it has expired.

Credential values are masked (their first 4 characters and "…") in both table and JSON output unless
--show-secrets is given. In a table they follow the connection as a second table
(CREDENTIAL, VALUE, ISSUED, EXPIRES).`,
		Example: `  amp connections get conn-123 --project my-project
  amp connections get conn-123 --project my-project --include-creds --refresh ifExpired --show-secrets -o json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			switch client.RefreshMode(refresh) {
			case "", client.RefreshModeForce, client.RefreshModeIfExpired:
				req.Refresh = client.RefreshMode(refresh)
			default:
				return usageErrorf("invalid --refresh %q: use %s or %s", refresh, client.RefreshModeForce, client.RefreshModeIfExpired)
			}
			req.ConnectionID = args[0]
			c, err := a.newClient(cmd)
			if err != nil {
				return err
			}
			conn, err := c.Connections.Get(cmd.Context(), req)
			if err != nil {
				return err
			}
			if req.IncludeCreds && !returnsCredentials(conn.AuthScheme) {
				fmt.Fprintf(a.stderr, "amp: --include-creds: the API does not return the credentials of %s connections "+
					"(only those of %s and %s ones)\n", clean(string(conn.AuthScheme)), client.AuthSchemeAPIKey, client.AuthSchemeOAuth2AuthorizationCode)
			}
			return a.printConnection(conn, showSecrets)
		}),
	}
	addProjectFlag(cmd, &req.ProjectIDOrName)
	f := cmd.Flags()
	f.BoolVar(&req.IncludeCreds, "include-creds", false, "include the API key, or the OAuth2 access token and scopes")
	f.BoolVar(&req.IncludeRefreshToken, "include-refresh-token", false, "include the OAuth2 refresh token as well")
	f.StringVar(&refresh, "refresh", "", "refresh the OAuth2 access token first: force or ifExpired")
	f.BoolVar(&showSecrets, "show-secrets", false, "print credential values in full instead of masked")
	_ = cmd.RegisterFlagCompletionFunc("refresh", cobra.FixedCompletions(
		[]string{string(client.RefreshModeForce), string(client.RefreshModeIfExpired)}, cobra.ShellCompDirectiveNoFileComp))
	noFlagValues(cmd, "project")
	return cmd
}

// returnsCredentials reports whether the API returns the credentials of connections of this auth scheme: the
// Connection model carries only an API key and OAuth2 authorization-code tokens.
func returnsCredentials(scheme client.AuthScheme) bool {
	switch scheme {
	case client.AuthSchemeAPIKey, client.AuthSchemeOAuth2AuthorizationCode, client.AuthSchemeOAuth2AuthorizationCodePKCE, client.AuthSchemeNone:
		return true // none has nothing to return
	}
	return false
}

// noArgsButProject is cobra.NoArgs for a command that takes its project from -p: a stray argument is most
// likely the project, and the error says how to give it.
func noArgsButProject(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return usageErrorf("%s takes no arguments, unexpected argument %q: to name the project, use -p %s (--project)",
		cmd.CommandPath(), args[0], args[0])
}

// newDeleteCmd returns `amp connections delete`: Connections.Delete.
func (a *app) newDeleteCmd() *cobra.Command {
	var req client.DeleteConnectionRequest
	cmd := &cobra.Command{
		Use:   "delete CONNECTION-ID --project P",
		Short: "Delete a connection",
		Long: `Delete a connection, and confirm what was deleted: a line in table format, or in JSON format
{"deleted": true, "projectIdOrName": P, "connectionId": ID}. The API itself replies with no content.`,
		Example:           `  amp connections delete conn-123 --project my-project`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			req.ConnectionID = args[0]
			c, err := a.newClient(cmd)
			if err != nil {
				return err
			}
			if err := c.Connections.Delete(cmd.Context(), req); err != nil {
				return err
			}
			if a.format() == formatJSON {
				return writeJSON(a.stdout, struct {
					Deleted         bool   `json:"deleted"`
					ProjectIDOrName string `json:"projectIdOrName"`
					ConnectionID    string `json:"connectionId"`
				}{true, req.ProjectIDOrName, req.ConnectionID})
			}
			_, err = fmt.Fprintf(a.stdout, "Deleted connection %s of project %s.\n", clean(req.ConnectionID), clean(req.ProjectIDOrName))
			return err
		}),
	}
	addProjectFlag(cmd, &req.ProjectIDOrName)
	noFlagValues(cmd, "project")
	return cmd
}
