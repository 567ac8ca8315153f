package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// Environment variables amp reads (through run's getenv, never os.Getenv directly).
const (
	envAPIKey    = "AMPERSAND_API_KEY"
	envServerURL = "AMPERSAND_SERVER_URL"
)

// app is one invocation of amp: its streams, its environment and the values of the global flags. run builds
// a fresh app and command tree per call, so that tests can run amp in process, in parallel.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	stderrTTY      bool          // stderr is a terminal: amp says what it waits for
	waitNotice     time.Duration // how often amp says what it still waits for, on a terminal
	cancel         func()        // ends the deadline of --timeout
	deadline       context.Context
	server         string    // the API base URL the command calls
	call           callState // the API call in progress, as the SDK's hooks tell it

	// Global flags.
	apiKeyFile     string
	serverURL      string
	timeout        time.Duration // the whole command's limit
	attemptTimeout time.Duration
	quiet          bool
	maxAttempts    int
	insecureHTTP   bool
	verbose        bool
	output         string

	// apiKey is the resolved Ampersand API key, removed from everything amp prints.
	apiKey string
	// stdinUsedBy names the flag that read stdin ("-"), which only one flag may do.
	stdinUsedBy string
}

// run is amp: it parses args, runs the command and returns the process exit code (see exitOK and the other
// exit* constants). It reads the environment only through getenv.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return runApp(ctx, args, stdin, stdout, stderr, getenv, isTerminal(stderr))
}

// runApp is run with whether stderr is a terminal given (tests give true), and test settings.
func runApp(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, stderrTTY bool, set ...func(*app)) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: &lockedWriter{w: stderr}, getenv: getenv, stderrTTY: stderrTTY,
		waitNotice: defaultWaitNotice, cancel: func() {}}
	for _, f := range set {
		f(a)
	}
	defer func() { a.cancel() }()
	root := a.newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(a.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	return a.fail(cmd, err)
}

const rootLong = `amp manages the connections of an Ampersand project — the credentials your customers stored for SaaS
providers — through the Ampersand API, and runs a fake of that API for tests (amp fake serve).

Authentication: the Ampersand API key comes from the AMPERSAND_API_KEY environment variable or from a file
named by --api-key-file; it is never accepted as a flag value. Provider credentials are read from files
too (a path, or - for stdin).

Output: -o table (aligned columns), -o json (the API's JSON; list prints an array) or -o jsonl (one JSON
object per line; list streams, in constant memory). The default is table when stdout is a terminal and JSON
when it is piped or redirected.

Exit codes:
  0  success
  1  any other failure (interrupted, output could not be written, the fake server could not listen)
  2  usage error: bad flags or arguments, unreadable input file, missing API key, or input refused
     before anything was sent (client.ValidationError)
  3  the API answered 4xx: not found, unauthorized, invalid request, ...
  4  the API answered 5xx (after retries), could not be reached (refused, reset, timed out), or sent a
     reply that does not match the API schema`

// newRootCmd builds the command tree with a's streams and flags.
func (a *app) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "amp",
		Short:         "Manage Ampersand connections from the command line",
		Long:          rootLong,
		SilenceErrors: true, // a.fail prints errors
		SilenceUsage:  true,
		// The checks every command needs, before any I/O.
		PersistentPreRunE: func(*cobra.Command, []string) error { return a.checkGlobalFlags() },
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.apiKeyFile, "api-key-file", "", "read the Ampersand API key from `PATH` (- for stdin) instead of $"+envAPIKey)
	pf.StringVar(&a.serverURL, "server-url", "", "API base `URL` (default $"+envServerURL+", else "+client.DefaultServerURL+")")
	pf.DurationVar(&a.timeout, "timeout", defaultTimeout, "time limit of a command's API call, retries and waits included (0: none)")
	pf.DurationVar(&a.attemptTimeout, "attempt-timeout", 0, "time limit of each attempt, e.g. 10s (0: none)")
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "do not say on stderr what amp is waiting for (it does only when stderr is a terminal)")
	pf.IntVar(&a.maxAttempts, "max-attempts", 0, "attempts per call, the first included (1: no retries; 0: the SDK's default policy)")
	pf.BoolVar(&a.insecureHTTP, "insecure-http", false, "allow sending the API key over plain http to a host that is not loopback")
	pf.BoolVar(&a.verbose, "verbose", false, "log each attempt, response and retry on stderr (the key is redacted)")
	pf.StringVarP(&a.output, "output", "o", "", "output format: table, json or jsonl (default: table on a terminal, else json)")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json", "jsonl"}, cobra.ShellCompDirectiveNoFileComp))
	_ = root.MarkPersistentFlagFilename("api-key-file")

	root.SetFlagErrorFunc(suggestFlag)
	root.AddCommand(a.newConnectionsCmd(), a.newOAuthCmd(), a.newFakeCmd(), a.newWebhooksCmd())
	return root
}

// newGroupCmd returns a command that only holds subcommands: alone it prints its help; with an unknown
// subcommand it is a usage error (cobra's default would print the help and succeed).
func newGroupCmd(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
}

// runE wraps a command's function so that a.fail can tell its errors from cobra's own (which are all usage
// errors: unknown flags, missing arguments or required flags).
func runE(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := f(cmd, args); err != nil {
			return &runError{err: err}
		}
		return nil
	}
}

// checkGlobalFlags refuses global flag values that no command can use.
func (a *app) checkGlobalFlags() error {
	switch a.output {
	case "", string(formatTable), string(formatJSON), string(formatJSONL):
	default:
		return usageErrorf("invalid --output %q: use table, json or jsonl", a.output)
	}
	if a.timeout < 0 || a.attemptTimeout < 0 {
		return usageErrorf("invalid --timeout %s or --attempt-timeout %s: must not be negative", a.timeout, a.attemptTimeout)
	}
	if a.maxAttempts < 0 {
		return usageErrorf("invalid --max-attempts %d: must not be negative", a.maxAttempts)
	}
	return nil
}

// resolveAPIKey returns the Ampersand API key from --api-key-file, else from $AMPERSAND_API_KEY.
func (a *app) resolveAPIKey() (string, error) {
	var key string
	if a.apiKeyFile != "" {
		data, err := a.readInput("api-key-file", a.apiKeyFile)
		if err != nil {
			return "", err
		}
		if key = strings.TrimSpace(string(data)); key == "" {
			return "", usageErrorf("--api-key-file %s is empty", a.apiKeyFile)
		}
	} else if key = strings.TrimSpace(a.getenv(envAPIKey)); key == "" {
		return "", usageErrorf("no Ampersand API key: set %s or pass --api-key-file PATH", envAPIKey)
	}
	return key, nil
}

// defaultTimeout bounds an interactive command's wait: long enough for the SDK's retries of a brief outage,
// short enough that a person is not left waiting on an unreachable server (the SDK alone would wait up to
// its 5-minute MaxElapsedTime).
const defaultTimeout = 30 * time.Second

// newClient returns an SDK client configured by the global flags and the environment, and bounds cmd's
// context by --timeout.
func (a *app) newClient(cmd *cobra.Command) (*client.Client, error) {
	if a.timeout > 0 {
		ctx, cancel := context.WithTimeout(cmd.Context(), a.timeout)
		cmd.SetContext(ctx)
		a.cancel, a.deadline = cancel, ctx
	}
	key, err := a.resolveAPIKey()
	if err != nil {
		return nil, err
	}
	a.apiKey = key
	opts := []client.Option{client.WithAPIKey(key)}
	serverURL, source := a.serverURL, "--server-url"
	if serverURL == "" {
		serverURL, source = strings.TrimSpace(a.getenv(envServerURL)), envServerURL
	}
	a.server = client.DefaultServerURL
	if serverURL != "" {
		if err := checkServerURL(serverURL, a.insecureHTTP); err != nil {
			return nil, usageErrorf("invalid %s %q: %v", source, serverURL, err)
		}
		opts = append(opts, client.WithServerURL(serverURL))
		a.server = serverURL
	}
	if a.attemptTimeout > 0 {
		opts = append(opts, client.WithTimeout(a.attemptTimeout))
	}
	opts = append(opts, client.WithHooks(a.hooks()))
	switch {
	case a.maxAttempts == 1:
		opts = append(opts, client.WithoutRetries())
	case a.maxAttempts > 1:
		rc := client.DefaultRetryConfig()
		rc.MaxAttempts = a.maxAttempts
		opts = append(opts, client.WithRetryConfig(rc))
	}
	if a.insecureHTTP {
		opts = append(opts, client.WithInsecureHTTP())
	}
	if a.verbose {
		h := slog.NewTextHandler(redactingWriter{a}, &slog.HandlerOptions{Level: slog.LevelDebug})
		opts = append(opts, client.WithLogger(slog.New(h)))
	}
	return client.New(opts...)
}

// redactingWriter writes to stderr with the API key removed: the SDK's logs already redact it, and this
// keeps it so whatever they may print. A slog handler writes each record in one call, so the key is never
// split across writes.
type redactingWriter struct{ a *app }

func (w redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.a.stderr, w.a.redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// sayRetry tells the person at the terminal why amp is still waiting:
// "amp: attempt 1 failed: 503 Service Unavailable; retrying in 1.2s".
func (a *app) sayRetry(_ context.Context, _ *client.Call, r client.Retry) {
	wait := r.Wait.Round(100 * time.Millisecond)
	if r.Wait < time.Second {
		wait = r.Wait.Round(10 * time.Millisecond)
	}
	fmt.Fprintf(a.stderr, "amp: attempt %d failed: %s; retrying in %s\n", r.Attempt, a.redact(clean(shortReason(r.Err))), wait)
}

// shortReason says in a few words why an attempt failed: the status, or the transport's last word.
func shortReason(err error) string {
	var apiErr *client.APIError
	var connErr *client.ConnectionError
	switch {
	case errors.As(err, &apiErr):
		return fmt.Sprintf("%d %s", apiErr.StatusCode, http.StatusText(apiErr.StatusCode))
	case errors.As(err, &connErr) && connErr.Timeout:
		return "no reply in time"
	case errors.As(err, &connErr):
		msg := connErr.Err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:] // "dial tcp 127.0.0.1:1: connect: connection refused" → "connection refused"
		}
		return msg
	}
	return err.Error()
}
