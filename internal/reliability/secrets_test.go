package reliability_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/internal/testutil"
	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// canary is the API key of the secret tests: it must appear nowhere but in the X-Api-Key header on the wire.
const canary = "canary-7f3a9c01-DO-NOT-LEAK"

// echoServer is a hostile server that echoes the key it receives everywhere it can. The connection ID picks
// the reply: "problem" a 400 problem whose title, detail and requestId hold the key; "busy" a 503 problem
// holding it, Retry-After an hour; "decode" a 200 whose id holds it and is not valid JSON after it; "badtime"
// a 200 whose createTime is the key; "reset" a TCP reset; "slow" no reply until the client leaves. headers
// adds the key in an X-Echo-Key response header.
func echoServer(t *testing.T, headers bool) *client.Client {
	ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		key := r.Header.Get("X-Api-Key")
		if headers {
			w.Header().Set("X-Echo-Key", key)
		}
		problem := fmt.Sprintf(`{"title":"key %s refused","detail":"bad key %s","requestId":%q}`, key, key, key)
		w.Header().Set("Content-Type", "application/problem+json")
		switch r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:] {
		case "problem":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(problem))
		case "busy":
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(problem))
		case "decode":
			w.Header().Set("Content-Type", "application/json")
			_, _ = fmt.Fprintf(w, `{"id":%q,"provider":`, key)
		case "badtime":
			w.Header().Set("Content-Type", "application/json")
			_, _ = fmt.Fprintf(w, `{"id":"c","createTime":%q}`, key)
		case "reset":
			conn, _, _ := http.NewResponseController(w).Hijack()
			_ = conn.(*net.TCPConn).SetLinger(0)
			_ = conn.Close()
		case "slow":
			hold(r, release)
		}
	})
	c, _ := rawClient(t, ts, client.WithAPIKey(canary))
	return c
}

// secretCalls make every kind of error with the canary key in play; each returns the call's error.
func secretCalls(t *testing.T, c *client.Client, opts ...client.Option) map[string]error {
	get := func(ctx context.Context, id string, more ...client.Option) error {
		_, err := c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: id}, append(opts, more...)...)
		return err
	}
	bg := context.Background()
	errs := map[string]error{
		"APIError":                 get(bg, "problem"),
		"APIError after retries":   get(bg, "busy", client.WithRetryConfig(fastRetries())),
		"DecodeError":              get(bg, "decode"),
		"ConnectionError":          get(bg, "reset"),
		"ConnectionError, timeout": get(bg, "slow", client.WithTimeout(20*time.Millisecond)),
		"ValidationError (ID)":     get(bg, "a\nb"),
	}
	ctx, cancel := context.WithTimeout(bg, 20*time.Millisecond)
	defer cancel()
	errs["DeadlineExceeded"] = get(ctx, "slow")
	logs := &testutil.LogRecorder{}
	waiting := logs.On("ampersand retry")
	ctx, cancel = context.WithCancel(bg)
	done := goCall(func() error {
		return get(ctx, "busy", client.WithRetryConfig(patientRetries()), client.WithLogger(slog.New(logs)))
	})
	<-waiting
	cancel()
	errs["Canceled while waiting to retry"] = await(t, done)
	_, errs["ValidationError (key option)"] = client.New(client.WithAPIKey(canary + "\r\nX-Injected: 1"))
	_, errs["ValidationError (header option)"] = client.New(client.WithAPIKey("k"), client.WithHeader("X-Api-Key", canary))
	return errs
}

// leaks returns the formatted forms of err, and of every error it wraps, that contain the canary.
func leaks(err error, verbs ...string) []string {
	var out []string
	for _, e := range unwrapAll(err) {
		for _, verb := range verbs {
			if s := fmt.Sprintf(verb, e); strings.Contains(s, canary) {
				out = append(out, fmt.Sprintf("%s of %T: %s", verb, e, s))
			}
		}
	}
	return out
}

// unwrapAll returns err and every error it wraps, depth first.
func unwrapAll(err error) []error {
	if err == nil {
		return nil
	}
	out := []error{err}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		out = append(out, unwrapAll(u.Unwrap())...)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, unwrapAll(e)...)
		}
	}
	return out
}

// No error string contains the key, for every error type and every error it wraps, even when the server
// echoes the key in the problem's title, detail and requestId.
func TestKeyNotInErrors(t *testing.T) {
	errs := secretCalls(t, echoServer(t, false))
	for name, err := range errs {
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, l := range leaks(err, "%v", "%+v", "%s", "%q") {
			t.Errorf("%s: the key leaked: %s", name, l)
		}
	}
	for _, want := range []struct {
		name   string
		target any
	}{
		{"APIError", new(*client.APIError)}, {"APIError after retries", new(*client.APIError)},
		{"ConnectionError", new(*client.ConnectionError)}, {"ConnectionError, timeout", new(*client.ConnectionError)},
		{"DecodeError", new(*client.DecodeError)}, {"ValidationError (ID)", new(*client.ValidationError)},
		{"Canceled while waiting to retry", new(*client.APIError)},
	} {
		if !errors.As(errs[want.name], want.target) {
			t.Errorf("%s: got %T (%v)", want.name, errs[want.name], errs[want.name])
		}
	}
}

// fanout sends every record to each of its handlers.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			_ = h.Handle(ctx, r.Clone())
		}
	}
	return nil
}

func (f fanout) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}

// everyLogger returns a logger writing JSON and text at each level from Debug to Error, and the buffers.
func everyLogger() (*slog.Logger, map[string]*bytes.Buffer) {
	bufs := map[string]*bytes.Buffer{}
	var hs fanout
	for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
		opts := &slog.HandlerOptions{Level: l}
		j, x := new(bytes.Buffer), new(bytes.Buffer)
		bufs["JSON "+l.String()], bufs["text "+l.String()] = j, x
		hs = append(hs, slog.NewJSONHandler(j, opts), slog.NewTextHandler(x, opts))
	}
	return slog.New(hs), bufs
}

// The logs at every level, JSON and text, never contain the key, though the server echoes it in its bodies.
func TestKeyNotInLogs(t *testing.T) {
	logger, bufs := everyLogger()
	secretCalls(t, echoServer(t, false), client.WithLogger(logger))
	for name, b := range bufs {
		if strings.Contains(b.String(), canary) {
			t.Errorf("%s log leaked the key:\n%s", name, b)
		}
	}
	if debug := bufs["JSON DEBUG"].String(); !strings.Contains(debug, `"X-Api-Key":"[REDACTED]"`) || !strings.Contains(debug, "ampersand retry") {
		t.Errorf("the debug log lacks the redacted key or the retries:\n%s", debug)
	}
}

// amptest's recorder keeps every request without the key, whatever the operation or fault.
func TestKeyNotInRecorder(t *testing.T) {
	srv := amptest.NewServer(amptest.WithAPIKey(canary))
	t.Cleanup(srv.Close)
	d := newCountingDoer(t)
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(canary), client.WithHTTPClient(d), client.WithRetryConfig(fastRetries()))
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := srv.SeedConnection(project, client.GenerateConnectionParams{Provider: "salesforce", GroupRef: "g", ConsumerRef: "c",
		OAuth2AuthorizationCode: client.OAuth2AuthorizationCode{RefreshToken: client.OAuth2Token{Token: "x"}}}) // OAuth, for oauthUpdate
	srv.InjectFault(amptest.AnyOperation, amptest.Fault{Status: 503, Times: 2})
	for _, op := range operations {
		if _, err := op.call(context.Background(), c, project, seed.ID); err != nil {
			t.Errorf("%s: %v", op.name, err)
		}
	}
	reqs := srv.Requests()
	if dump := fmt.Sprintf("%#v", reqs); len(reqs) != len(operations)+2 || strings.Contains(dump, canary) || !strings.Contains(dump, amptest.Redacted) {
		t.Errorf("%d requests recorded; the key leaked or was not redacted:\n%s", len(reqs), short(dump))
	}
	d.CheckClosed(t)
}

// nilDoer is an HTTPDoer that breaks the contract of http.Client.Do: no response and no error, or a
// response without a body.
type nilDoer struct{ body bool }

func (d nilDoer) Do(r *http.Request) (*http.Response, error) {
	if d.body {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Request: r}, nil
	}
	return nil, nil
}

// callRecovering calls fn and returns what it panicked with, or nil.
func callRecovering(fn func()) (v any) {
	defer func() { v = recover() }()
	fn()
	return nil
}

// The panics the SDK can be made to raise (see the TestRegression_ tests) carry no key.
func TestKeyNotInPanics(t *testing.T) {
	probes := map[string]func(){
		"doer returns neither response nor error": func() { callWithDoer(t, nilDoer{}) },
		"doer returns a response without a body":  func() { callWithDoer(t, nilDoer{body: true}) },
	}
	for name, probe := range probes {
		v := callRecovering(probe)
		t.Logf("%s: recovered %v", name, v)
		if strings.Contains(fmt.Sprintf("%#v %v", v, v), canary) {
			t.Errorf("%s: the panic value holds the key: %v", name, v)
		}
	}
}

func callWithDoer(t *testing.T, d client.HTTPDoer) error {
	c, err := client.New(client.WithAPIKey(canary), client.WithServerURL("http://127.0.0.1:1/v1"), client.WithHTTPClient(d), client.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
	return err
}
