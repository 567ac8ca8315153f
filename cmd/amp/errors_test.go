package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

func TestUsageErrorsExit2(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"conections"}, `unknown command "conections" for "amp"`},
		{"unknown subcommand", []string{"connections", "lst"}, `unknown command "lst" for "amp connections"`},
		{"unknown flag", []string{"connections", "list", "-p", "x", "--provder", "y"}, "unknown flag: --provder"},
		{"missing project", []string{"connections", "list"}, `required flag(s) "project" not set`},
		{"missing argument", []string{"connections", "get", "-p", "x"}, "accepts 1 arg(s), received 0"},
		{"bad output format", []string{"connections", "list", "-p", "x", "-o", "yaml"}, `invalid --output "yaml": use table, json or jsonl`},
		{"bad timeout", []string{"connections", "list", "-p", "x", "--timeout", "soon"}, `invalid argument "soon" for "--timeout"`},
		{"negative max attempts", []string{"connections", "list", "-p", "x", "--max-attempts", "-1"}, "invalid --max-attempts -1"},
		{"refused by the SDK", []string{"connections", "get", "c", "-p", "."}, `amp: invalid ProjectIDOrName: "." would address another URL`},
		{"bad server URL", []string{"connections", "list", "-p", "x", "--server-url", "ftp://example.com"}, `amp: invalid --server-url "ftp://example.com"`},
		{"plain http to a remote host", []string{"connections", "list", "-p", "x", "--server-url", "http://example.com/v1"}, `amp: invalid --server-url "http://example.com/v1": plain http to a host that is not loopback would send the API key in cleartext; use https, or --insecure-http to allow it`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runAmp(t, f.env, "", tc.args...)
			wantCode(t, r, exitUsage)
			wantContains(t, "stderr", r.stderr, tc.want, "--help' for usage.")
			if r.stdout != "" {
				t.Errorf("stdout = %q", r.stdout)
			}
		})
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent for usage errors", n)
	}
}

func TestAPIKeySources(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	list := []string{"--server-url", f.srv.URL, "connections", "list", "-p", testProject}

	t.Run("environment", func(t *testing.T) {
		wantCode(t, runAmp(t, map[string]string{envAPIKey: " " + f.srv.APIKey + "\n"}, "", list...), exitOK)
	})
	t.Run("file", func(t *testing.T) {
		path := writeFile(t, "key", f.srv.APIKey+"\n")
		wantCode(t, runAmp(t, nil, "", append(list, "--api-key-file", path)...), exitOK)
	})
	t.Run("file wins over the environment", func(t *testing.T) {
		path := writeFile(t, "key", f.srv.APIKey)
		wantCode(t, runAmp(t, map[string]string{envAPIKey: "wrong"}, "", append(list, "--api-key-file", path)...), exitOK)
	})
	t.Run("stdin", func(t *testing.T) {
		wantCode(t, runAmp(t, nil, f.srv.APIKey, append(list, "--api-key-file", "-")...), exitOK)
	})
	t.Run("missing", func(t *testing.T) {
		r := runAmp(t, map[string]string{envAPIKey: "  "}, "", list...)
		wantCode(t, r, exitUsage)
		wantContains(t, "stderr", r.stderr, "no Ampersand API key: set AMPERSAND_API_KEY or pass --api-key-file PATH")
	})
	t.Run("empty file", func(t *testing.T) {
		r := runAmp(t, nil, "", append(list, "--api-key-file", writeFile(t, "key", "\n"))...)
		wantCode(t, r, exitUsage)
		wantContains(t, "stderr", r.stderr, "is empty")
	})
	t.Run("missing file", func(t *testing.T) {
		r := runAmp(t, nil, "", append(list, "--api-key-file", "/nonexistent/amp-key")...)
		wantCode(t, r, exitUsage)
		wantContains(t, "stderr", r.stderr, "--api-key-file: open /nonexistent/amp-key")
	})
	t.Run("wrong key", func(t *testing.T) {
		r := runAmp(t, map[string]string{envAPIKey: "wrong-key"}, "", list...)
		wantCode(t, r, exitAPIClient)
		wantContains(t, "stderr", r.stderr, "listConnections: 401 Unauthorized")
	})
	if got := len(f.srv.Requests()); got != 5 {
		t.Errorf("%d requests, want 5: the 4 successes and the wrong key", got)
	}
}

func TestServerURLFromEnvironment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := map[string]string{envAPIKey: f.srv.APIKey, envServerURL: f.srv.URL}
	wantCode(t, runAmp(t, env, "", "connections", "list", "-p", testProject), exitOK)
	if n := len(f.srv.Requests()); n != 1 {
		t.Errorf("%d requests reached the fake", n)
	}
}

func TestProblemIsPrintedInFull(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.InjectFault(amptest.OpListConnections, amptest.Fault{Status: http.StatusConflict, Problem: &client.Problem{
		Title: "Conflicting filters", Detail: "groupRef \x1b[31mg1\x1b[0m is archived; key " + f.srv.APIKey,
		Remedy: "Unarchive the group", RequestID: "req-42",
		Issues: []client.InputValidationIssue{
			{In: client.InputValidationIssueInQuery, Name: "groupRef", Detail: "is archived"},
			{Detail: "a second issue"},
		},
	}})
	r := f.amp(t, "connections", "list", "-p", testProject, "--group-ref", "g1")
	wantCode(t, r, exitAPIClient)
	want := "amp: listConnections: 409 Conflict\n" +
		"  Title:      Conflicting filters\n" +
		`  Detail:     groupRef \x1b[31mg1\x1b[0m is archived; key [REDACTED]` + "\n" +
		"  Remedy:     Unarchive the group\n" +
		"  Issues:\n" +
		"    - query groupRef: is archived\n" +
		"    - a second issue\n" +
		"  Request ID: req-42\n"
	if r.stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, want)
	}
}

func TestServerAndNetworkErrorsExit4(t *testing.T) {
	t.Parallel()
	list := []string{"connections", "list", "-p", testProject}

	t.Run("503 without retries", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.srv.InjectFault(amptest.OpListConnections, amptest.Fault{Status: http.StatusServiceUnavailable})
		r := f.amp(t, append(list, "--max-attempts", "1")...)
		wantCode(t, r, exitAPIServer)
		wantContains(t, "stderr", r.stderr, "listConnections: 503 Service Unavailable", "Request ID:")
		if n := len(f.srv.Requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("503 until retries run out", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.srv.InjectFault(amptest.OpListConnections, amptest.Fault{Status: http.StatusServiceUnavailable, Times: 3,
			Header: http.Header{"Retry-After": {"0"}}})
		r := f.amp(t, append(list, "--max-attempts", "3")...)
		wantCode(t, r, exitAPIServer)
		wantContains(t, "stderr", r.stderr, "503 Service Unavailable", "  Attempts:   3\n")
		if n := len(f.srv.Requests()); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
	})
	t.Run("retried 503 then success", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.srv.InjectFault(amptest.OpListConnections, amptest.Fault{Status: http.StatusServiceUnavailable,
			Header: http.Header{"Retry-After": {"0"}}})
		wantCode(t, f.amp(t, list...), exitOK)
	})
	t.Run("proxy HTML page", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.srv.InjectFault(amptest.OpListConnections, amptest.Fault{Kind: amptest.FaultHTMLPage})
		r := f.amp(t, append(list, "--max-attempts", "1")...)
		wantCode(t, r, exitAPIServer)
		wantContains(t, "stderr", r.stderr, "502 Bad Gateway", "  Body:       <")
	})
	t.Run("malformed reply", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.srv.InjectFault(amptest.OpListConnections, amptest.Fault{Kind: amptest.FaultEmptyBody})
		r := f.amp(t, list...)
		wantCode(t, r, exitAPIServer)
		wantContains(t, "stderr", r.stderr, "amp: listConnections: 200 OK: decoding the response")
	})
	t.Run("attempt timeout", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.srv.InjectFault(amptest.OpListConnections, amptest.Fault{Delay: time.Minute}) // ended by Close
		r := f.amp(t, append(list, "--max-attempts", "1", "--attempt-timeout", "50ms")...)
		wantCode(t, r, exitAPIServer)
		wantContains(t, "stderr", r.stderr, "amp: listConnections: no reply from "+f.srv.URL+": the attempt was cut after 50ms by --attempt-timeout")
	})
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + l.Addr().String() + "/v1"
		l.Close() // nothing listens there now
		r := runAmp(t, map[string]string{envAPIKey: "k"}, "", append(list, "--server-url", url, "--max-attempts", "1")...)
		wantCode(t, r, exitAPIServer)
		wantContains(t, "stderr", r.stderr, "amp: listConnections: connection failed:")
	})
}

// failingWriter is a stdout that cannot be written, like a closed pipe.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("write: broken pipe") }

func TestOtherFailuresExit1(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	getenv := func(k string) string { return f.env[k] }
	list := []string{"--server-url", f.srv.URL, "connections", "list", "-p", testProject}

	var stderr bytes.Buffer
	if code := run(context.Background(), list, strings.NewReader(""), failingWriter{}, &stderr, getenv); code != exitFailure {
		t.Errorf("unwritable stdout: exit code %d, want %d", code, exitFailure)
	}
	wantContains(t, "stderr", stderr.String(), "amp: write: broken pipe")

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as SIGINT does
	stderr.Reset()
	if code := run(ctx, list, strings.NewReader(""), io.Discard, &stderr, getenv); code != exitFailure {
		t.Errorf("interrupted: exit code %d, want %d", code, exitFailure)
	}
	wantContains(t, "stderr", stderr.String(), "amp: interrupted")
}

func TestVerboseLogsWithoutTheKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.amp(t, "connections", "list", "-p", testProject, "--verbose")
	wantCode(t, r, exitOK)
	if r.stderr == "" {
		t.Error("--verbose logged nothing")
	}
	wantNotContains(t, "stderr", r.stderr, f.srv.APIKey)
}

func TestExitCodeClassification(t *testing.T) {
	t.Parallel()
	if got := exitCode(usageErrorf("x")); got != exitUsage {
		t.Errorf("usage error: %d", got)
	}
	if got := exitCode(net.ErrClosed); got != exitFailure {
		t.Errorf("other error: %d", got)
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain text, ünïcode ✓": "plain text, ünïcode ✓",
		"a\tb\nc\r":             `a\tb\nc\r`,
		"\x1b[2Jcleared":        `\x1b[2Jcleared`,
		"bad \xff byte":         `bad \xff byte`,
		"rtl \u202eevil":        `rtl \u202eevil`,
		"c1 \u009b control":     `c1 \u009b control`,
		"replacement \ufffd ok": "replacement \ufffd ok",
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTableCellsAreCleaned(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	err := writeTable(&b, []client.Connection{{ID: "id\t1", Provider: "evil\x1b]0;title\x07", Group: client.Group{GroupRef: "g\nx"}}})
	if err != nil {
		t.Fatal(err)
	}
	rows := tableRows(b.String())
	if len(rows) != 2 || len(rows[1]) != 8 || rows[1][0] != `id\t1` || rows[1][1] != `evil\x1b]0;title\a` || rows[1][2] != `g\nx` {
		t.Errorf("table:\n%s", b.String())
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	r := runAmp(t, nil, "", "--help")
	wantCode(t, r, exitOK)
	wantContains(t, "amp --help", r.stdout, "Exit codes:", "  0  success", "  1  any other failure", "  2  usage error",
		"  3  the API answered 4xx", "  4  the API answered 5xx", "AMPERSAND_API_KEY", "--api-key-file", "connections", "fake", "completion")

	r = runAmp(t, nil, "", "connections", "get", "--help") // help needs no --project
	wantCode(t, r, exitOK)
	wantContains(t, "get --help", r.stdout, "--include-creds", "--show-secrets", "masked")

	r = runAmp(t, nil, "", "connections")
	wantCode(t, r, exitOK)
	wantContains(t, "amp connections", r.stdout, "generate", "update", "delete")

	r = runAmp(t, nil, "", "completion", "bash")
	wantCode(t, r, exitOK)
	wantContains(t, "completion script", r.stdout, "bash completion")

	r = runAmp(t, nil, "", "__complete", "connections", "get", "--refresh", "")
	wantCode(t, r, exitOK)
	wantContains(t, "completions", r.stdout, "force\nifExpired\n")
}
