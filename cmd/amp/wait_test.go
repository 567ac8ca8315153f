package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// newSilentServer listens on loopback and accepts connections that it never answers; it returns the API URL.
func newSilentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String() + "/v1"
}

// runTTY runs amp in process as if stderr were a terminal, saying what it waits for every `every`.
func runTTY(t *testing.T, env map[string]string, every time.Duration, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runApp(context.Background(), args, strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] },
		true, func(a *app) { a.waitNotice = every })
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// A server that accepts and never answers: while it waits amp says for what (on a terminal), and it ends with
// one plain line naming the server, how long it waited and the flag that bounds the wait — which, with
// --attempt-timeout, does not contradict itself (issue 20, item 6).
func TestWaitingForASilentServer(t *testing.T) {
	t.Parallel()
	url := newSilentServer(t)
	env := map[string]string{envAPIKey: "k"}
	list := []string{"--server-url", url, "connections", "list", "-p", testProject}

	t.Run("--timeout", func(t *testing.T) {
		t.Parallel()
		r := runTTY(t, env, 20*time.Millisecond, append(list, "--timeout", "500ms")...)
		wantCode(t, r, exitAPIServer)
		wantContains(t, "stderr", r.stderr, "amp: waiting for a reply from "+url+" (listConnections, attempt 1; ")
		last := lastLine(r.stderr)
		wantContains(t, "the last line", last, "amp: listConnections: no reply from "+url+" within 500ms", "--timeout")
		if n := strings.Count(r.stderr, "no reply"); n != 1 {
			t.Errorf("the end is %d lines, want one:\n%s", n, r.stderr)
		}
	})
	t.Run("--attempt-timeout and --timeout", func(t *testing.T) {
		t.Parallel()
		r := runTTY(t, env, time.Hour, append(list, "--timeout", "1s", "--attempt-timeout", "300ms")...)
		wantCode(t, r, exitAPIServer)
		// Whether --timeout ends an attempt or the SDK stops before it would is a matter of timing: either end
		// is one line that names the server and the flags, and never counts attempts twice.
		last := lastLine(r.stderr)
		byTimeout := strings.Contains(last, "no reply from "+url+" within 1s, the limit --timeout sets (") &&
			strings.Contains(last, "; each cut after 300ms by --attempt-timeout)")
		byAttempts := strings.Contains(last, "no reply from "+url+": ") && strings.Contains(last, " cut after 300ms by --attempt-timeout")
		if !byTimeout && !byAttempts {
			t.Errorf("the last line: %s", last)
		}
		wantNotContains(t, "stderr", r.stderr, "(after", "previous attempt", "during attempt")
	})
	t.Run("--attempt-timeout alone", func(t *testing.T) {
		t.Parallel()
		r := runTTY(t, env, time.Hour, append(list, "--attempt-timeout", "50ms", "--max-attempts", "2")...)
		wantCode(t, r, exitAPIServer)
		wantContains(t, "the last line", lastLine(r.stderr),
			"amp: listConnections: no reply from "+url+": each of 2 attempts was cut after 50ms by --attempt-timeout")
	})
	t.Run("not a terminal", func(t *testing.T) {
		t.Parallel()
		r := runAmp(t, env, "", append(list, "--timeout", "200ms")...)
		wantCode(t, r, exitAPIServer)
		if r.stderr != lastLine(r.stderr)+"\n" || !strings.Contains(r.stderr, "within 200ms") {
			t.Errorf("stderr, not a terminal, is not the one final line:\n%s", r.stderr)
		}
	})
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}
