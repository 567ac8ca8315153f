package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// readFakeEnv reads the two lines `amp fake serve` prints and returns the server URL and key.
func readFakeEnv(t *testing.T, r *bufio.Reader) (url, key string) {
	t.Helper()
	vars := map[string]string{}
	for range 2 {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the fake's output: %v (got %q)", err, line)
		}
		name, value, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		if !ok {
			t.Fatalf("unexpected line %q", line)
		}
		vars[name] = value
	}
	url, key = vars[envServerURL], vars[envAPIKey]
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/v1") || key == "" {
		t.Fatalf("fake printed %v", vars)
	}
	return url, key
}

func TestFakeServeInProcess(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	defer pr.Close()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"fake", "serve", "--key", "test-key-1"}, strings.NewReader(""), pw, &stderr, func(string) string { return "" })
		pw.Close()
		done <- code
	}()

	url, key := readFakeEnv(t, bufio.NewReader(pr))
	if key != "test-key-1" {
		t.Errorf("key = %q, want the one given with --key", key)
	}
	env := map[string]string{envAPIKey: key, envServerURL: url}
	r := runAmp(t, env, "", "connections", "generate", "-p", testProject, "--provider", "x", "--group-ref", "g", "--consumer-ref", "c")
	wantCode(t, r, exitOK)
	r = runAmp(t, env, "", "connections", "list", "-p", testProject, "-o", "table")
	wantCode(t, r, exitOK)
	if rows := tableRows(r.stdout); len(rows) != 2 {
		t.Errorf("list after generate:\n%s", r.stdout)
	}

	cancel() // what SIGINT or SIGTERM does through signal.NotifyContext in main
	if code := <-done; code != exitOK {
		t.Errorf("fake serve exited %d, want 0; stderr:\n%s", code, stderr.String())
	}
	wantContains(t, "stderr", stderr.String(), "amp fake serve: fake Ampersand API at "+url, "amp fake serve: stopped")
	// Stopped: the fake no longer answers (whatever may listen on its port later does not know its key).
	if r = runAmp(t, env, "", "connections", "list", "-p", testProject, "--max-attempts", "1"); r.code == exitOK {
		t.Errorf("the fake still answers after it stopped:\n%s", r.stdout)
	}
}

func TestFakeServeErrors(t *testing.T) {
	t.Parallel()
	r := runAmp(t, nil, "", "fake", "serve", "--addr", "127.0.0.1:notaport")
	wantCode(t, r, exitFailure)
	wantContains(t, "stderr", r.stderr, "amp: fake serve: listen tcp")

	r = runAmp(t, nil, "", "fake", "serve", "--key", "")
	wantCode(t, r, exitUsage)
	wantContains(t, "stderr", r.stderr, "--key is empty")

	r = runAmp(t, nil, "", "fake", "serve", "extra")
	wantCode(t, r, exitUsage)
}
