package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// Environment variables of the webhook commands.
const (
	envWebhookURL    = "AMPERSAND_WEBHOOK_URL"
	envWebhookSecret = "AMPERSAND_WEBHOOK_SECRET"
)

// newWebhooksCmd returns `amp webhooks` and its subcommand listen.
func (a *app) newWebhooksCmd() *cobra.Command {
	cmd := newGroupCmd("webhooks", "Receive Ampersand's lifecycle notifications")
	cmd.AddCommand(a.newWebhooksListenCmd())
	return cmd
}

// newWebhooksListenCmd returns `amp webhooks listen`: a webhook endpoint on a local port that prints each
// verified notification.
func (a *app) newWebhooksListenCmd() *cobra.Command {
	var addr, secretFile string
	cmd := &cobra.Command{
		Use:   "listen [--addr HOST:PORT] [--secret-file PATH]",
		Short: "Listen for webhook notifications on a local port and print each verified one",
		Long: `Run a webhook endpoint on a local port: it verifies each delivery with the endpoint's secret (the svix-* or
webhook-* headers, as pkg/client's Webhook does), prints the notification on stdout, and answers 204; a
delivery that fails verification is answered 400 and reported on stderr. It stops on SIGINT or SIGTERM.

The secret is read from $` + envWebhookSecret + ` or --secret-file (never a flag value). Without either, amp
makes a random one for testing. Once listening, amp prints on stdout:
  ` + envWebhookURL + `=http://127.0.0.1:PORT/
  ` + envWebhookSecret + `=whsec_…      (only when amp made the secret)
then one line per notification: its type, message id and connection in a table, or with -o json or jsonl one
JSON object {"id", "timestamp", "type", "notification"} per line. Pass the URL and secret to
amp fake serve --webhook-url URL --webhook-secret SECRET to receive the fake's notifications.`,
		Example: `  amp webhooks listen --addr 127.0.0.1:9000 &
  amp fake serve --webhook-url http://127.0.0.1:9000/ --webhook-secret "$AMPERSAND_WEBHOOK_SECRET"`,
		Args:              cobra.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			secret, made, err := a.webhookSecret(secretFile)
			if err != nil {
				return err
			}
			wh, err := client.NewWebhook(secret)
			if err != nil {
				return usageErrorf("the webhook secret: %v", err)
			}
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("webhooks listen: %w", err)
			}
			return a.listen(cmd.Context(), l, wh, secret, made)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:0", "TCP address to listen on (port 0: a free port)")
	f.StringVar(&secretFile, "secret-file", "", "read the endpoint's secret (whsec_…) from `PATH` (- for stdin) instead of $"+envWebhookSecret)
	noFlagValues(cmd, "addr")
	_ = cmd.MarkFlagFilename("secret-file")
	return cmd
}

// webhookSecret returns the secret from --secret-file, else $AMPERSAND_WEBHOOK_SECRET, else a new random
// one (made reports that).
func (a *app) webhookSecret(file string) (secret string, made bool, err error) {
	switch {
	case file != "":
		var b []byte
		if file == "-" {
			b, err = io.ReadAll(io.LimitReader(a.stdin, 4096))
		} else {
			b, err = os.ReadFile(file)
		}
		if err != nil {
			return "", false, usageErrorf("--secret-file: %v", err)
		}
		return strings.TrimSpace(string(b)), false, nil
	case a.getenv(envWebhookSecret) != "":
		return a.getenv(envWebhookSecret), false, nil
	}
	key := make([]byte, 24)
	_, _ = rand.Read(key)
	return "whsec_" + base64.StdEncoding.EncodeToString(key), true, nil
}

// listen serves the endpoint on l until ctx ends.
func (a *app) listen(ctx context.Context, l net.Listener, wh *client.Webhook, secret string, made bool) error {
	var mu sync.Mutex // one line at a time
	handler := wh.Handler(func(_ context.Context, n *client.Notification) error {
		mu.Lock()
		defer mu.Unlock()
		return a.printNotification(n)
	})
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &statusRecorder{ResponseWriter: w}
			handler.ServeHTTP(rec, r)
			if rec.status >= 400 {
				fmt.Fprintf(a.stderr, "amp webhooks listen: answered %d to a delivery: %s\n", rec.status, clean(strings.TrimSpace(rec.body.String())))
			}
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	env := fmt.Sprintf("%s=%s\n", envWebhookURL, originOf(l.Addr())+"/")
	if made {
		env += fmt.Sprintf("%s=%s\n", envWebhookSecret, secret)
	}
	if _, err := io.WriteString(a.stdout, env); err != nil {
		l.Close()
		return err
	}
	fmt.Fprintf(a.stderr, "amp webhooks listen: listening at %s; stop with Ctrl-C\n", originOf(l.Addr())+"/")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("webhooks listen: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("webhooks listen: %w", err)
	}
	fmt.Fprintln(a.stderr, "amp webhooks listen: stopped")
	return nil
}

// printNotification prints one verified notification: a line of text, or a JSON object on one line.
func (a *app) printNotification(n *client.Notification) error {
	if a.format() != formatTable {
		return writeJSONLine(a.stdout, struct {
			ID           string                  `json:"id"`
			Timestamp    time.Time               `json:"timestamp"`
			Type         client.NotificationType `json:"type"`
			Notification jsonRaw                 `json:"notification"`
		}{n.ID, n.Timestamp.UTC(), n.Type, jsonRaw(n.Body)})
	}
	what := ""
	switch p := n.Payload.(type) {
	case *client.ConnectionCreatedNotificationPayload:
		what = describe(p.Data)
	case *client.ConnectionUpdatedNotificationPayload:
		what = describe(p.Data)
	case *client.ConnectionRefreshedNotificationPayload:
		what = describe(p.Data)
	case *client.ConnectionDeletedNotificationPayload:
		what = describe(p.Data)
	case *client.ConnectionErrorNotificationPayload:
		what = describe(client.ConnectionData{ConnectionID: p.Data.ConnectionID, Provider: p.Data.Provider,
			GroupRef: p.Data.GroupRef, ConsumerRef: p.Data.ConsumerRef}) + ": " + strings.Join(p.Data.Errors, "; ")
	}
	_, err := fmt.Fprintln(a.stdout, clean(fmt.Sprintf("%s %s %s %s", n.Timestamp.UTC().Format(time.RFC3339), n.Type, n.ID, what)))
	return err
}

func describe(d client.ConnectionData) string {
	return fmt.Sprintf("connection %s (%s, group %s, consumer %s)", d.ConnectionID, d.Provider, d.GroupRef, d.ConsumerRef)
}

// jsonRaw is a verified JSON body, written as is.
type jsonRaw []byte

func (r jsonRaw) MarshalJSON() ([]byte, error) { return r, nil }

// statusRecorder keeps the status and the start of the body a handler answers.
type statusRecorder struct {
	http.ResponseWriter
	status int
	body   strings.Builder
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.body.Len() < 512 {
		r.body.Write(b[:min(len(b), 512-r.body.Len())])
	}
	return r.ResponseWriter.Write(b)
}

// originOf returns http://HOST:PORT for a listener's address; a listener on every interface is reached on
// loopback.
func originOf(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return "http://" + net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
	}
	return "http://" + addr.String()
}
