package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The README's first program, written from the README alone and importing only pkg/client, runs against
// `amp fake serve` with the two variables it prints, and contacts no other host: every proxy variable points
// at a recorder, which would see any connection to a host that is not loopback (Go never proxies loopback).
func TestReadmeProgramRunsAgainstTheFake(t *testing.T) {
	if testing.Short() {
		t.Skip("builds amp and the README's program and runs them as processes")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a bound on a hung process
	defer cancel()

	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var program string // the first ```go block that is a complete program
	for _, part := range strings.Split(string(readme), "```go\n")[1:] {
		if block, _, ok := strings.Cut(part, "```"); ok && strings.HasPrefix(block, "package main") {
			program = block
			break
		}
	}
	if program == "" || strings.Contains(program, "ampersand-go/gen") || !strings.Contains(program, "ampersand-go/pkg/client") {
		t.Fatalf("the README's first complete program imports the wrong packages, or there is none:\n%s", program)
	}

	// Build the program as a package of this module (an overlay, so that nothing is written into the tree).
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(root, "internal", "readmeprogram", "main.go"): src}})
	overlayFile := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	prog, amp := filepath.Join(dir, "first-call"), filepath.Join(dir, "amp")
	for _, build := range [][]string{
		{"build", "-overlay", overlayFile, "-o", prog, "./internal/readmeprogram"},
		{"build", "-o", amp, "./cmd/amp"},
	} {
		cmd := exec.CommandContext(ctx, goTool(t), build...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(build, " "), err, out)
		}
	}

	server := exec.CommandContext(ctx, amp, "fake", "serve", "--addr", "127.0.0.1:0")
	server.Env = environWithout()
	stdout, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = server.Process.Kill(); _ = server.Wait() }()
	url, key := readFakeEnv(t, bufio.NewReader(stdout))

	proxy, seen := newRecordingProxy(t)
	run := exec.CommandContext(ctx, prog)
	run.Env = append(environWithout(), envServerURL+"="+url, envAPIKey+"="+key,
		"HTTPS_PROXY="+proxy, "HTTP_PROXY="+proxy, "https_proxy="+proxy, "http_proxy="+proxy, "NO_PROXY=", "no_proxy=")
	out, err := run.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "0 connections" {
		t.Fatalf("the README's program: %v\n%s", err, out)
	}
	if got := seen(); len(got) > 0 {
		t.Errorf("the program contacted other hosts: %v", got)
	}

	// The recorder does see a program that goes elsewhere: without AMPERSAND_SERVER_URL it tries the real API.
	run = exec.CommandContext(ctx, prog)
	run.Env = append(environWithout(), envAPIKey+"="+key, "HTTPS_PROXY="+proxy, "https_proxy="+proxy, "NO_PROXY=", "no_proxy=")
	if out, err := run.CombinedOutput(); err == nil {
		t.Fatalf("without AMPERSAND_SERVER_URL the program succeeded:\n%s", out)
	}
	if got := seen(); len(got) == 0 || !strings.Contains(got[0], "api.withampersand.com") {
		t.Errorf("the recorder saw %v, want the real API's host", got)
	}
}

// newRecordingProxy starts an HTTP proxy that records every request (CONNECT included) and refuses it; seen
// returns what it recorded.
func newRecordingProxy(t *testing.T) (url string, seen func() []string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var requests []string
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.Method+" "+r.Host)
		mu.Unlock()
		http.Error(w, "no", http.StatusForbidden)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + l.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), requests...)
	}
}
