package main

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// newFakeCmd returns `amp fake` and its subcommand serve.
func (a *app) newFakeCmd() *cobra.Command {
	cmd := newGroupCmd("fake", "Run a fake Ampersand API for tests")
	cmd.AddCommand(a.newFakeServeCmd(), a.newFakeApproveCmd())
	return cmd
}

// newFakeApproveCmd returns `amp fake approve`: what the customer's browser does with an authorization URL of
// amp fake serve, so that the whole OAuth flow runs from a shell.
func (a *app) newFakeApproveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "approve AUTHORIZATION-URL",
		Short: "Grant the consent of an OAuth URL of amp fake serve, as the customer's browser would",
		Long: `Open an authorization URL that amp oauth connect or amp oauth update printed for amp fake serve, and grant
the consent: the fake creates (or re-authorizes) the connection, whose ID amp prints — the bare ID when
stdout is not a terminal, so that "$(amp fake approve URL)" is the ID. Only URLs of a fake on loopback
(localhost, 127.0.0.0/8 or ::1) are opened.`,
		Example:           `  amp fake approve "$(amp oauth connect -p test --provider salesforce --group-ref g --consumer-ref c)"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, err := approve(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.output == string(formatJSON) {
				return writeJSON(a.stdout, struct {
					ConnectionID string `json:"connectionId"`
				}{id})
			}
			if !isTerminal(a.stdout) { // "$(amp fake approve …)" is the ID
				_, err = fmt.Fprintln(a.stdout, clean(id))
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "Approved: connection %s.\n", clean(id))
			return err
		}),
	}
}

// newFakeServeCmd returns `amp fake serve`: an amptest.Server on --addr until the context ends (SIGINT or
// SIGTERM in main).
func (a *app) newFakeServeCmd() *cobra.Command {
	var addr, key, envFile, webhookSecret string
	var webhookURLs []string
	cmd := &cobra.Command{
		Use:   "serve [--addr HOST:PORT] [--key KEY] [--env-file PATH] [--webhook-url URL --webhook-secret SECRET]",
		Short: "Serve the in-memory fake of the connections API (pkg/amptest) until interrupted",
		Long: `Serve pkg/amptest, the in-memory fake of the Ampersand connections API, like stripe-mock: programs in any
language can test against it. It validates every request and reply against the OpenAPI document and keeps
real state (generate, list filters, credentials, update masks, 404 after delete) in memory only.

Once it listens it prints exactly two lines on stdout, then serves until SIGINT or SIGTERM and exits 0:
  AMPERSAND_SERVER_URL=http://127.0.0.1:PORT/v1
  AMPERSAND_API_KEY=KEY
amp reads both variables, so exporting them points amp at the fake. The key is random unless --key is
given; it is a test value, not a secret. Messages go to stderr. --env-file also writes the two lines to a
file, in one step (it appears whole or not at all), and removes it when the fake stops: a script starts the
fake in the background and waits for the file (see the example).

With --addr 0.0.0.0:PORT (in a container, say) the fake listens on every interface; the printed URL is
still the loopback one, which works on the same host. From another host use this host's address instead;
amp needs --insecure-http to send the key over plain http to it.

The recorder of the requests received (the last 1000, bodies cut at 16 KiB, 32 MiB at most) is at
/_amptest/requests on the same origin: GET reads it as JSON, DELETE resets it; both need the X-Api-Key
header.

With --webhook-url (repeatable) the fake delivers signed lifecycle notifications (connection.created,
.updated, .refreshed, .deleted, .error) to each URL when its state changes, as Ampersand does through Svix,
signed with --webhook-secret (default $` + envWebhookSecret + `; a test value), retrying a few times within
about 16 s; amp webhooks listen prints what arrives.

On SIGINT or SIGTERM the fake waits up to 2 s for the requests in progress, then closes their connections;
deliveries in progress end at once.`,
		Example: `  amp fake serve --addr 127.0.0.1:8080 --key test-key

  # From a script (POSIX sh):
  rm -f fake.env
  amp fake serve --env-file fake.env &
  fake=$!; trap 'kill "$fake"' EXIT
  until [ -s fake.env ]; do kill -0 "$fake" || exit 1; sleep 0.1; done
  export $(cat fake.env)
  amp connections list --project test`,
		Args:              cobra.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			var opts []amptest.Option
			if cmd.Flags().Changed("key") {
				if key == "" {
					return usageErrorf("--key is empty")
				}
				opts = append(opts, amptest.WithAPIKey(key))
			}
			if cmd.Flags().Changed("env-file") && envFile == "" {
				return usageErrorf("--env-file is empty")
			}
			if webhookSecret == "" {
				webhookSecret = a.getenv(envWebhookSecret)
			}
			if len(webhookURLs) > 0 && webhookSecret == "" {
				return usageErrorf("--webhook-url needs --webhook-secret (or $%s): the secret its receiver verifies with", envWebhookSecret)
			}
			if _, err := client.NewWebhook(webhookSecret); len(webhookURLs) > 0 && err != nil {
				return usageErrorf("--webhook-secret: %v", err)
			}
			for _, u := range webhookURLs {
				if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
					return usageErrorf("--webhook-url %q is not an http(s) URL", u)
				}
				opts = append(opts, amptest.WithWebhook(u, webhookSecret))
			}
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("fake serve: %w", err)
			}
			srv := amptest.NewServer(append(opts, amptest.WithListener(l))...) // closes l
			defer srv.Close()
			env := fmt.Sprintf("%s=%s\n%s=%s\n", envServerURL, srv.URL, envAPIKey, srv.APIKey)
			if envFile != "" {
				if err := writeFileAtomic(envFile, []byte(env)); err != nil {
					return fmt.Errorf("fake serve: --env-file: %w", err)
				}
				defer os.Remove(envFile)
			}
			// One write, so that a reader sees both lines at once; os.Stdout is not buffered.
			if _, err := io.WriteString(a.stdout, env); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "amp fake serve: fake Ampersand API at %s; stop with Ctrl-C\n", srv.URL)
			if note := outsideNote(l.Addr()); note != "" {
				fmt.Fprintln(a.stderr, note)
			}
			<-cmd.Context().Done()
			srv.Close()
			fmt.Fprintln(a.stderr, "amp fake serve: stopped")
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:0", "TCP address to listen on (port 0: a free port)")
	f.StringVar(&key, "key", "", "the API key the fake accepts (default: random)")
	f.StringVar(&envFile, "env-file", "", "also write the two lines to `PATH` once listening; removed when the fake stops")
	f.StringArrayVar(&webhookURLs, "webhook-url", nil, "deliver lifecycle notifications to `URL` (repeatable)")
	f.StringVar(&webhookSecret, "webhook-secret", "", "the whsec_… secret that signs the notifications (default $"+envWebhookSecret+")")
	noFlagValues(cmd, "addr", "key", "webhook-url", "webhook-secret")
	return cmd
}

// outsideNote says, for a fake listening on every interface, how a client on another host reaches it; ""
// for a fake on one address, whose printed URL is the way in.
func outsideNote(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return ""
	}
	return fmt.Sprintf("amp fake serve: listening on every interface; from another host use http://HOST:%d/v1 "+
		"with this host's address as HOST (amp needs --insecure-http to send the key there, the Go SDK "+
		"client.WithInsecureHTTP)", tcp.Port)
}

// writeFileAtomic writes data to a new file beside path, then renames it to path, so that a reader polling
// for path sees all of data or no file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up after a failure
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
