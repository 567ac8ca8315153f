package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// goTool returns the go command that runs this test: $GOROOT/bin/go, else go from PATH.
func goTool(t *testing.T) string {
	t.Helper()
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"+exe); fileExists(p) {
			return p
		}
	}
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command to build amp with: %v", err)
	}
	return p
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// environWithout returns the process environment without the variables amp reads, so that the developer's
// own key or server never reaches the test.
func environWithout() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envAPIKey+"=") && !strings.HasPrefix(kv, envServerURL+"=") {
			env = append(env, kv)
		}
	}
	return env
}

// TestEndToEnd builds the amp binary, starts `amp fake serve` as a process, takes a connection through its
// whole life with amp processes, and stops the fake with SIGINT.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the amp binary and runs it as processes")
	}
	t.Parallel()
	// A bound on a hung process, not a timed assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "amp")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if out, err := exec.CommandContext(ctx, goTool(t), "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	server := exec.CommandContext(ctx, bin, "fake", "serve", "--addr", "127.0.0.1:0")
	server.Env = environWithout()
	var serverErr bytes.Buffer
	server.Stderr = &serverErr
	stdout, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if server.ProcessState == nil { // the test failed before stopping it
			server.Process.Kill()
			server.Wait()
		}
	}()
	url, key := readFakeEnv(t, bufio.NewReader(stdout))

	amp := func(args ...string) result {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--server-url", url}, args...)...)
		cmd.Env = append(environWithout(), envAPIKey+"="+key)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		var r result
		var exitErr *exec.ExitError
		if err := cmd.Run(); errors.As(err, &exitErr) {
			r.code = exitErr.ExitCode()
		} else if err != nil {
			t.Fatalf("amp %s: %v", strings.Join(args, " "), err)
		}
		r.stdout, r.stderr = out.String(), errOut.String()
		return r
	}
	const secret = "pat-na1-e2e-provider-secret"
	keyFile := writeFile(t, "provider.key", secret+"\n")

	// generate
	r := amp("connections", "generate", "--project", "e2e", "--provider", "hubspot", "--group-ref", "acme",
		"--consumer-ref", "jane", "--api-key-credential-file", keyFile, "-o", "json")
	wantCode(t, r, exitOK)
	conn := decode[client.Connection](t, r.stdout)
	if conn.ID == "" || conn.AuthScheme != client.AuthSchemeAPIKey || conn.APIKey != "" {
		t.Fatalf("generated %+v", conn)
	}
	// list: piped stdout, so JSON by default
	r = amp("connections", "list", "--project", "e2e", "--provider", "hubspot")
	wantCode(t, r, exitOK)
	if got := decode[[]client.Connection](t, r.stdout); len(got) != 1 || got[0].ID != conn.ID {
		t.Errorf("listed %+v", got)
	}
	r = amp("connections", "list", "--project", "e2e", "-o", "table")
	wantCode(t, r, exitOK)
	if rows := tableRows(r.stdout); len(rows) != 2 || rows[0][0] != "ID" || rows[1][0] != conn.ID {
		t.Errorf("table:\n%s", r.stdout)
	}
	// get with credentials, masked and not
	r = amp("connections", "get", conn.ID, "--project", "e2e", "--include-creds")
	wantCode(t, r, exitOK)
	if got := decode[client.Connection](t, r.stdout); got.APIKey != "pat-…" {
		t.Errorf("masked apiKey = %q", got.APIKey)
	}
	wantNotContains(t, "get output", r.stdout, secret)
	r = amp("connections", "get", conn.ID, "--project", "e2e", "--include-creds", "--show-secrets")
	wantCode(t, r, exitOK)
	if got := decode[client.Connection](t, r.stdout); got.APIKey != secret {
		t.Errorf("apiKey with --show-secrets = %q", got.APIKey)
	}
	// update
	r = amp("connections", "update", conn.ID, "--project", "e2e", "--workspace-ref", "acme.example")
	wantCode(t, r, exitOK)
	if got := decode[client.Connection](t, r.stdout); got.ProviderWorkspaceRef != "acme.example" {
		t.Errorf("updated %+v", got)
	}
	// delete, then get finds nothing: exit code 3
	r = amp("connections", "delete", conn.ID, "--project", "e2e")
	wantCode(t, r, exitOK)
	r = amp("connections", "get", conn.ID, "--project", "e2e")
	wantCode(t, r, exitAPIClient)
	wantContains(t, "stderr", r.stderr, "amp: getConnection: 404 Not Found", "Detail:", conn.ID, "Request ID:")
	if r.stdout != "" {
		t.Errorf("stdout = %q", r.stdout)
	}

	// SIGINT stops the fake cleanly.
	if err := server.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := server.Wait(); err != nil {
		t.Fatalf("amp fake serve after SIGINT: %v\nstderr:\n%s", err, serverErr.String())
	}
	if code := server.ProcessState.ExitCode(); code != 0 {
		t.Errorf("amp fake serve exited %d, want 0", code)
	}
	wantContains(t, "fake stderr", serverErr.String(), "amp fake serve: stopped")
}
