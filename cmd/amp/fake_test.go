package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// startFake runs `amp fake serve` in process with args and returns its URL and key, and a stop function
// that cancels it (what SIGINT or SIGTERM does) and returns its exit code and stderr.
func startFake(t *testing.T, args ...string) (url, key string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := run(ctx, append([]string{"fake", "serve"}, args...), strings.NewReader(""), pw, &stderr, func(string) string { return "" })
		pw.Close()
		done <- code
	}()
	url, key = readFakeEnv(t, bufio.NewReader(pr))
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	stopped := false
	stop = func() (int, string) {
		t.Helper()
		cancel()
		select {
		case code := <-done:
			stopped = true
			return code, stderr.String()
		case <-time.After(30 * time.Second): // a bound on a hang, not a timed assertion
			t.Fatal("amp fake serve did not stop")
			return 0, ""
		}
	}
	t.Cleanup(func() {
		if !stopped {
			cancel()
			<-done
		}
	})
	return url, key, stop
}

// --env-file writes the two lines to a file, whole, before they are printed, and removes it on the way out:
// a script can wait for the file (issue 19, item 11; the README's script is run as written elsewhere).
func TestFakeServeEnvFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fake.env")
	url, key, stop := startFake(t, "--env-file", path)
	got, err := os.ReadFile(path)
	if err != nil || string(got) != envServerURL+"="+url+"\n"+envAPIKey+"="+key+"\n" {
		t.Fatalf("env file %q, %v", got, err)
	}
	if code, stderr := stop(); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the env file outlived the fake: %v", err)
	}
	if r := runAmp(t, nil, "", "fake", "serve", "--env-file", ""); r.code != exitUsage {
		t.Errorf("--env-file '': exit %d", r.code)
	}
}

// SIGINT or SIGTERM stops the fake although a client stalls in the middle of a request body (issue 19,
// item 12): 100-continue proves the fake is reading that body when the signal comes.
func TestFakeServeStopsWhileAClientStallsMidBody(t *testing.T) {
	t.Parallel()
	url, key, stop := startFake(t)
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/v1")
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	_, err = io.WriteString(c, "POST /v1/projects/p/connections:generate HTTP/1.1\r\nHost: "+host+"\r\nX-Api-Key: "+key+
		"\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("no 100 Continue: %q %v", line, err)
	}
	if _, err := io.WriteString(c, `{"provider":`); err != nil {
		t.Fatal(err)
	}
	if code, stderr := stop(); code != exitOK || !strings.Contains(stderr, "amp fake serve: stopped") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

// On every interface (the container case) the fake prints a loopback URL (amptest's test shows it works) and
// says on stderr how to reach it from another host (issue 19, item 15). Tests listen on loopback only, so
// the wildcard address is given to outsideNote rather than listened on.
func TestFakeServeOnEveryInterfaceSaysHowToReachIt(t *testing.T) {
	t.Parallel()
	for _, ip := range []net.IP{net.IPv4zero, net.IPv6unspecified} {
		note := outsideNote(&net.TCPAddr{IP: ip, Port: 18080})
		wantContains(t, "note", note, "every interface", "http://HOST:18080/v1", "--insecure-http")
	}
	if note := outsideNote(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 18080}); note != "" {
		t.Errorf("a loopback fake got a note: %q", note)
	}
}
