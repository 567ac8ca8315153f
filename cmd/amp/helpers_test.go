package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// testProject is the project the tests use.
const testProject = "proj"

// result is the outcome of one in-process run of amp.
type result struct {
	code           int
	stdout, stderr string
}

// runAmp runs amp in process with args, stdin and an environment made of env only.
func runAmp(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr, getenv)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// fixture is a fake API and an environment holding its key.
type fixture struct {
	srv *amptest.Server
	env map[string]string
}

func newFixture(t *testing.T, opts ...amptest.Option) *fixture {
	t.Helper()
	srv := amptest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, env: map[string]string{envAPIKey: srv.APIKey}}
}

// amp runs amp against the fake, with --server-url set.
func (f *fixture) amp(t *testing.T, args ...string) result {
	t.Helper()
	return f.ampStdin(t, "", args...)
}

// ampStdin runs amp against the fake with stdin.
func (f *fixture) ampStdin(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runAmp(t, f.env, stdin, append([]string{"--server-url", f.srv.URL}, args...)...)
}

// seed stores a connection in testProject.
func (f *fixture) seed(t *testing.T, p client.GenerateConnectionParams) client.Connection {
	t.Helper()
	c, err := f.srv.SeedConnection(testProject, p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seedAPIKey stores an apiKey connection with the given key in testProject.
func (f *fixture) seedAPIKey(t *testing.T, key string) client.Connection {
	t.Helper()
	return f.seed(t, client.GenerateConnectionParams{Provider: "hubspot", GroupRef: "g1", ConsumerRef: "c1", APIKey: key})
}

// wantCode fails the test when r did not exit with code, showing its output.
func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

// wantContains fails the test when s lacks any of subs.
func wantContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

// wantNotContains fails the test when s has any of subs.
func wantNotContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			t.Errorf("%s contains %q:\n%s", what, sub, s)
		}
	}
}

// decode unmarshals JSON output into a T.
func decode[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("output is not JSON of %T: %v\n%s", v, err, out)
	}
	return v
}

// writeFile writes content to a new file in a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// tableRows splits table output into rows of whitespace-separated fields.
func tableRows(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}
