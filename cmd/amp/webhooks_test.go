package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

const testWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// background is a long-running amp command (listen, fake serve) in process: its stdout as a line reader.
type background struct {
	out    *bufio.Reader
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan int
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func startAmp(t *testing.T, env map[string]string, args ...string) *background {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	b := &background{out: bufio.NewReader(pr), stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() {
		code := run(ctx, args, strings.NewReader(""), pw, b.stderr, func(k string) string { return env[k] })
		pw.Close()
		b.done <- code
	}()
	t.Cleanup(func() { cancel(); pr.Close() })
	return b
}

// line reads the next line of stdout.
func (b *background) line(t *testing.T) string {
	t.Helper()
	s, err := b.out.ReadString('\n')
	if err != nil {
		t.Fatalf("reading stdout: %v (got %q); stderr:\n%s", err, s, b.stderr.String())
	}
	return strings.TrimSuffix(s, "\n")
}

// stop ends the command as SIGTERM does and returns its exit code, failing the test if it does not end
// within a bound that only a hang exceeds.
func (b *background) stop(t *testing.T) int {
	t.Helper()
	b.cancel()
	go func() { _, _ = io.Copy(io.Discard, b.out) }()
	select {
	case code := <-b.done:
		return code
	case <-time.After(20 * time.Second):
		t.Fatalf("the command did not stop; stderr:\n%s", b.stderr.String())
		return -1
	}
}

func value(t *testing.T, line, name string) string {
	t.Helper()
	v, ok := strings.CutPrefix(line, name+"=")
	if !ok {
		t.Fatalf("line %q, want %s=…", line, name)
	}
	return v
}

// The loop from a shell: amp webhooks listen prints what amp fake serve delivers when amp changes a connection.
func TestWebhooksListenPrintsTheFakesNotifications(t *testing.T) {
	t.Parallel()
	listen := startAmp(t, map[string]string{envWebhookSecret: testWebhookSecret}, "webhooks", "listen")
	hookURL := value(t, listen.line(t), envWebhookURL)
	fake := startAmp(t, nil, "fake", "serve", "--webhook-url", hookURL, "--webhook-secret", testWebhookSecret)
	env := map[string]string{envServerURL: value(t, fake.line(t), envServerURL), envAPIKey: value(t, fake.line(t), envAPIKey)}

	r := runAmp(t, env, "", "connections", "generate", "-p", testProject, "--provider", "x", "--group-ref", "g", "--consumer-ref", "c", "-o", "json")
	wantCode(t, r, exitOK)
	var conn struct{ ID string }
	if err := json.Unmarshal([]byte(r.stdout), &conn); err != nil {
		t.Fatal(err)
	}
	var got struct {
		ID, Type     string
		Notification struct {
			NotificationType string
			Data             struct{ ConnectionID string }
		}
	}
	if err := json.Unmarshal([]byte(listen.line(t)), &got); err != nil {
		t.Fatal(err)
	}
	if got.Type != "connection.created" || got.Notification.Data.ConnectionID != conn.ID || !strings.HasPrefix(got.ID, "msg_") {
		t.Errorf("listen printed %+v, want connection.created of %s", got, conn.ID)
	}
	if code := fake.stop(t); code != exitOK {
		t.Errorf("fake serve exited %d", code)
	}
	if code := listen.stop(t); code != exitOK {
		t.Errorf("webhooks listen exited %d", code)
	}
	wantContains(t, "stderr", listen.stderr.String(), "amp webhooks listen: stopped")
}

func TestWebhooksListenRefusesUnsignedDeliveriesAndMakesASecret(t *testing.T) {
	t.Parallel()
	listen := startAmp(t, nil, "webhooks", "listen")
	hookURL := value(t, listen.line(t), envWebhookURL)
	if secret := value(t, listen.line(t), envWebhookSecret); !strings.HasPrefix(secret, "whsec_") {
		t.Errorf("made secret %q", secret)
	}
	resp, err := http.Post(hookURL, "application/json", strings.NewReader(`{"notificationType":"connection.created"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unsigned delivery was answered %d", resp.StatusCode)
	}
	listen.stop(t)
	wantContains(t, "stderr", listen.stderr.String(), "answered 400 to a delivery: ampersand: webhook header missing: svix-id")
}

// amp fake serve stops promptly on SIGTERM while its deliveries fail (nothing listens at the webhook URL).
func TestFakeServeStopsWhileDeliveriesFail(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String() + "/"
	l.Close()
	fake := startAmp(t, nil, "fake", "serve", "--webhook-url", dead, "--webhook-secret", testWebhookSecret)
	env := map[string]string{envServerURL: value(t, fake.line(t), envServerURL), envAPIKey: value(t, fake.line(t), envAPIKey)}
	r := runAmp(t, env, "", "connections", "generate", "-p", testProject, "--provider", "x", "--group-ref", "g", "--consumer-ref", "c")
	wantCode(t, r, exitOK)
	if code := fake.stop(t); code != exitOK {
		t.Errorf("fake serve exited %d; stderr:\n%s", code, fake.stderr.String())
	}
}

func TestFakeServeWebhookFlagErrors(t *testing.T) {
	t.Parallel()
	r := runAmp(t, nil, "", "fake", "serve", "--webhook-url", "http://127.0.0.1:1/")
	wantCode(t, r, exitUsage)
	wantContains(t, "stderr", r.stderr, "--webhook-url needs --webhook-secret")
	r = runAmp(t, nil, "", "fake", "serve", "--webhook-url", "127.0.0.1:1", "--webhook-secret", testWebhookSecret)
	wantCode(t, r, exitUsage)
	r = runAmp(t, nil, "", "fake", "serve", "--webhook-url", "http://127.0.0.1:1/", "--webhook-secret", "whsec_!")
	wantCode(t, r, exitUsage)
	r = runAmp(t, map[string]string{envWebhookSecret: "not base64!"}, "", "webhooks", "listen")
	wantCode(t, r, exitUsage)
}
