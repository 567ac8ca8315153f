package main

import (
	"fmt"
	"net/url"
	"os/exec"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// newOAuthCmd returns `amp oauth` and its subcommands connect and update.
func (a *app) newOAuthCmd() *cobra.Command {
	cmd := newGroupCmd("oauth", "Start the OAuth flows that create or re-authorize a connection")
	cmd.AddCommand(a.newOAuthConnectCmd(), a.newOAuthUpdateCmd())
	return cmd
}

// newOAuthConnectCmd returns `amp oauth connect`: OAuth.Connect, printing the URL (and opening it with --open).
func (a *app) newOAuthConnectCmd() *cobra.Command {
	var (
		p    client.OAuthConnectParams
		open bool
	)
	cmd := &cobra.Command{
		Use:   "connect --project P --provider X --group-ref G --consumer-ref C [--open] [flags]",
		Short: "Print the URL that connects a customer's account with OAuth",
		Long: `Print the authorization URL that creates an OAuth connection once the customer opens it and grants
access. --open also opens it in a browser, where this machine has one. With amp fake serve, complete the
consent from a shell with amp fake approve URL.`,
		Example: `  amp oauth connect --project my-project --provider salesforce --group-ref acme --consumer-ref jane --open
  amp fake approve "$(amp oauth connect -p test --provider salesforce --group-ref g --consumer-ref c)"`,
		Args:              noArgsButProject,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, err := a.newClient(cmd)
			if err != nil {
				return err
			}
			u, err := c.OAuth.Connect(cmd.Context(), client.OAuthConnectRequest{Params: p})
			if err != nil {
				return err
			}
			return a.printURL(u, open)
		}),
	}
	addProjectFlag(cmd, &p.ProjectIDOrName)
	ownerFlags{&p.Provider, &p.GroupRef, &p.GroupName, &p.ConsumerRef, &p.ConsumerName, &p.ProviderWorkspaceRef}.add(cmd)
	f := cmd.Flags()
	f.StringVar(&p.ProviderAppID, "provider-app-id", "", "the provider app (default: the project's)")
	f.BoolVar(&open, "open", false, "also open the URL in a browser, where one exists")
	for _, name := range []string{"provider", "group-ref", "consumer-ref"} {
		_ = cmd.MarkFlagRequired(name)
	}
	noFlagValues(cmd, "project", "provider-app-id")
	return cmd
}

// newOAuthUpdateCmd returns `amp oauth update`: OAuth.Update.
func (a *app) newOAuthUpdateCmd() *cobra.Command {
	var (
		req  client.OAuthUpdateRequest
		open bool
	)
	cmd := &cobra.Command{
		Use:               "update CONNECTION-ID --project P [--open]",
		Short:             "Print the URL that re-authorizes an OAuth connection",
		Long:              `Print the authorization URL that re-authorizes an existing OAuth connection (new tokens) once the customer opens it.`,
		Example:           `  amp oauth update conn-123 --project my-project --open`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			req.ConnectionID = args[0]
			c, err := a.newClient(cmd)
			if err != nil {
				return err
			}
			u, err := c.OAuth.Update(cmd.Context(), req)
			if err != nil {
				return err
			}
			return a.printURL(u, open)
		}),
	}
	addProjectFlag(cmd, &req.ProjectIDOrName)
	cmd.Flags().BoolVar(&open, "open", false, "also open the URL in a browser, where one exists")
	noFlagValues(cmd, "project")
	return cmd
}

// printURL prints u (the SDK has checked it is a safe https URL, or http from a loopback fake) — as a line
// even when stdout is piped, so that "$(amp oauth connect …)" is the URL; as JSON only with -o json — and,
// with open, starts the platform's URL opener; without one it says so on stderr and succeeds.
func (a *app) printURL(u *url.URL, open bool) error {
	if a.output == string(formatJSON) {
		if err := writeJSON(a.stdout, struct {
			URL string `json:"url"`
		}{u.String()}); err != nil {
			return err
		}
	} else if _, err := fmt.Fprintln(a.stdout, u.String()); err != nil {
		return err
	}
	if !open {
		return nil
	}
	name, args := opener()
	if _, err := exec.LookPath(name); err != nil {
		fmt.Fprintf(a.stderr, "amp: no browser to open (%s not found): open the URL yourself\n", name)
		return nil
	}
	// Not on ctx: the opener (and the browser it may become) must outlive amp, whose context ends as it
	// returns. amp does not wait for it; it is released so that nothing is kept for it.
	cmd := exec.Command(name, append(args, u.String())...)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(a.stderr, "amp: could not open a browser: %v\n", err)
		return nil
	}
	_ = cmd.Process.Release()
	return nil
}

// opener returns the command that opens a URL on this platform.
func opener() (string, []string) {
	switch runtime.GOOS {
	case "darwin":
		return "open", nil
	case "windows":
		return "rundll32", []string{"url.dll,FileProtocolHandler"}
	}
	return "xdg-open", nil
}
