//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeShellBlock returns the README's ```sh block that contains marker.
func readmeShellBlock(t *testing.T, marker string) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range strings.Split(string(readme), "```sh\n")[1:] {
		block, _, ok := strings.Cut(part, "```")
		if ok && strings.Contains(block, marker) {
			return block
		}
	}
	t.Fatalf("the README has no sh block with %q", marker)
	return ""
}

// The README's script that starts amp fake serve in the background and exports what it prints runs as
// written, returns, and stops the fake with SIGTERM on the way out (issue 19, item 11: the former one-liner,
// export $(amp fake serve … | head -2), never returned).
func TestReadmeFakeScriptRunsAsWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("builds amp and runs the README's script with sh")
	}
	t.Parallel()
	script := readmeShellBlock(t, "--env-file")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a bound on a hang
	defer cancel()
	bin := t.TempDir()
	if out, err := exec.CommandContext(ctx, goTool(t), "build", "-o", filepath.Join(bin, "amp"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	dir := t.TempDir()
	sh := exec.CommandContext(ctx, "sh", "-c", script)
	sh.Dir = dir
	sh.Env = append(environWithout(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the fake too, so that a failure leaves nothing behind
	var stdout, stderr bytes.Buffer
	sh.Stdout, sh.Stderr = &stdout, &stderr
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-sh.Process.Pid, syscall.SIGKILL) })
	if err := sh.Wait(); err != nil {
		t.Fatalf("the README's script: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), envServerURL+"=http://127.0.0.1:") || !strings.HasSuffix(stdout.String(), "[]\n") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	// The trap's SIGTERM stopped the fake, which removes its env file on the way out.
	for fileExists(filepath.Join(dir, "fake.env")) {
		select {
		case <-ctx.Done():
			t.Fatalf("the fake still runs after the script ended; stderr:\n%s", stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
