package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// amp fake approve opens only URLs whose parsed host is loopback: a host name that merely starts with "127."
// or "localhost" is refused before any request (issue 19, item 10).
func TestApproveRefusesHostsThatOnlyLookLoopback(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"http://127.attacker.example/oauth/authorize?state=x",
		"http://127.0.0.1.nip.io/oauth/authorize?state=x",
		"http://localhost.attacker.example/oauth/authorize?state=x",
		"http://127.0.0.1@attacker.example/oauth/authorize?state=x",
		"http://[::2]/oauth/authorize?state=x",
	} {
		r := runAmp(t, nil, "", "fake", "approve", u)
		if r.code != exitUsage || !strings.Contains(r.stderr, "not a URL of amp fake serve") {
			t.Errorf("approve %s: exit %d, want %d (refused before any request)\n%s", u, r.code, exitUsage, r.stderr)
		}
	}
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.9.8.7": true, "::1": true, "localhost": true, "LOCALHOST": true,
		"127.attacker.example": false, "127.0.0.1.nip.io": false, "128.0.0.1": false, "::2": false, "": false,
	} {
		if got := isLoopbackHost(host); got != want {
			t.Errorf("isLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// With stdout not a terminal, amp fake approve prints the bare connection ID, so that "$(amp fake approve …)"
// is the ID the README promises (issue 20, item 8).
func TestApprovePrintsTheBareIDIntoAPipe(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.amp(t, "oauth", "connect", "-p", testProject, "--provider", "salesforce", "--group-ref", "g", "--consumer-ref", "c")
	wantCode(t, r, exitOK)
	r = f.amp(t, "fake", "approve", strings.TrimSpace(r.stdout))
	wantCode(t, r, exitOK)
	id := strings.TrimSuffix(r.stdout, "\n")
	if strings.ContainsAny(id, " \n") {
		t.Fatalf("approve printed %q, want the bare ID and a newline", r.stdout)
	}
	if _, ok := f.srv.Connection(testProject, id); !ok {
		t.Fatalf("approve printed %q, which is no stored connection", r.stdout)
	}
}

// The browser that --open starts outlives amp: it is not started on the command's context, which ends as amp
// returns (issue 19, item 9). The opener here is a script that records its URL after amp has returned.
func TestOAuthOpenStartsABrowserThatOutlivesAmp(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in opener is a shell script")
	}
	// Not parallel: PATH is the process's.
	dir := t.TempDir()
	opened := filepath.Join(dir, "opened")
	name, _ := opener()
	script := "#!/bin/sh\nsleep 1\nprintf '%s\\n' \"$1\" > " + opened + ".tmp && mv " + opened + ".tmp " + opened + "\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))

	f := newFixture(t)
	r := f.amp(t, "oauth", "connect", "-p", testProject, "--provider", "salesforce", "--group-ref", "g", "--consumer-ref", "c", "--open")
	wantCode(t, r, exitOK)
	// amp has returned; the opener must still finish. The deadline bounds a killed opener, it times nothing.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		got, err := os.ReadFile(opened)
		if err == nil {
			if strings.TrimSpace(string(got)) != strings.TrimSpace(r.stdout) {
				t.Errorf("the opener got %q, want the printed URL %q", got, r.stdout)
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the opener never finished: amp killed it when it returned (stderr: %q)", r.stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
