package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// record returns a middleware that appends name before and after the round trip.
func record(events *[]string, name string) client.Middleware {
	return func(req *http.Request, next client.MiddlewareNext) (*http.Response, error) {
		*events = append(*events, name+">")
		resp, err := next(req)
		*events = append(*events, "<"+name)
		return resp, err
	}
}

// Middleware runs once per attempt, inside the retry loop: the client's outside the call's, each in the
// order given; it sees the request with the key and the SDK's headers, on a copy of its own.
func TestMiddlewareOrderAndAttempts(t *testing.T) {
	api := newFakeAPI(t, sequence(status(503), ok))
	var events []string
	c := api.newClient(t, client.WithMiddleware(record(&events, "c1"), record(&events, "c2")))
	tag := func(req *http.Request, next client.MiddlewareNext) (*http.Response, error) {
		if req.Header.Get("X-Api-Key") != testKey || !strings.HasPrefix(req.Header.Get("User-Agent"), "ampersand-go/") {
			t.Errorf("middleware saw headers %v", req.Header)
		}
		req.Header.Add("X-Seen", "1") // on the attempt's own copy: never twice
		return next(req)
	}
	if _, err := c.Connections.Get(bg, getReq(), client.WithMiddleware(record(&events, "call"), tag)); err != nil {
		t.Fatal(err)
	}
	want := "c1> c2> call> <call <c2 <c1 c1> c2> call> <call <c2 <c1"
	if got := strings.Join(events, " "); got != want {
		t.Errorf("events %s\nwant   %s", got, want)
	}
	for i, r := range api.requests() {
		if v := r.Header.Values("X-Seen"); len(v) != 1 {
			t.Errorf("attempt %d: X-Seen %v", i+1, v)
		}
	}
}

// What middleware returns is what the retry policy sees: an error it makes of a reply is retried as a
// connection error; a reply it makes of an error is the result.
func TestMiddlewareDecidesTheOutcome(t *testing.T) {
	api := newFakeAPI(t, okHandler)
	calls := 0
	failFirst := func(req *http.Request, next client.MiddlewareNext) (*http.Response, error) {
		calls++
		resp, err := next(req)
		if calls == 1 {
			resp.Body.Close()
			return nil, errors.New("refused by middleware")
		}
		return resp, err
	}
	if _, err := api.newClient(t, client.WithMiddleware(failFirst)).Connections.Get(bg, getReq()); err != nil || calls != 2 {
		t.Fatalf("err %v after %d attempts; want a retry, then success", err, calls)
	}

	down := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusBadGateway) })
	canned := func(req *http.Request, next client.MiddlewareNext) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(connJSON)), Request: req}, nil
	}
	conn, err := down.newClient(t, client.WithMiddleware(canned)).Connections.Get(bg, getReq())
	if err != nil || conn.ID != "conn-1" || len(down.requests()) != 0 {
		t.Fatalf("%+v, %v, %d requests; want the middleware's reply and nothing sent", conn, err, len(down.requests()))
	}
	if _, err := client.New(client.WithAPIKey("k"), client.WithMiddleware(nil)); !errors.As(err, new(*client.ValidationError)) {
		t.Errorf("a nil middleware: %v", err)
	}
}

// Compose applies its options in order, skips nil ones and reports the first error.
func TestCompose(t *testing.T) {
	api := newFakeAPI(t, okHandler)
	var events []string
	both := client.Compose(client.WithMiddleware(record(&events, "a")), nil, client.WithMiddleware(record(&events, "b")))
	if _, err := api.newClient(t, both).Connections.Get(bg, getReq()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(events, " "); got != "a> b> <b <a" {
		t.Errorf("events %s", got)
	}
	_, err := client.New(client.WithAPIKey("k"), client.Compose(client.WithTimeout(-1), client.WithMiddleware(nil)))
	var ve *client.ValidationError
	if !errors.As(err, &ve) || ve.Field != "Timeout" {
		t.Errorf("Compose with a bad option: %v; want the first option's error", err)
	}
}

// A middleware's error that quotes the request, key included, reaches the caller, the log and the hooks with
// the key redacted.
func TestMiddlewareErrorKeepsTheKeyRedacted(t *testing.T) {
	api := newFakeAPI(t, okHandler)
	leaky := func(req *http.Request, next client.MiddlewareNext) (*http.Response, error) {
		return nil, fmt.Errorf("proxy refused %v with key %s", req.Header, req.Header.Get("X-Api-Key"))
	}
	var logs bytes.Buffer
	var hooked []string
	hooks := client.Hooks{
		Retry:   func(_ context.Context, _ *client.Call, r client.Retry) { hooked = append(hooked, r.Err.Error()) },
		CallEnd: func(_ context.Context, _ *client.Call, err error) { hooked = append(hooked, fmt.Sprintf("%+v", err)) },
	}
	rc := client.DefaultRetryConfig()
	rc.InitialInterval, rc.MaxInterval = time.Millisecond, time.Millisecond
	_, err := api.newClient(t, client.WithMiddleware(leaky), client.WithHooks(hooks), client.WithRetryConfig(rc),
		client.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))).
		Connections.Get(bg, getReq())
	var ce *client.ConnectionError
	if !errors.As(err, &ce) || len(hooked) != 4 {
		t.Fatalf("err %v, hooks saw %d; want a ConnectionError after 4 attempts", err, len(hooked))
	}
	for _, s := range append(hooked, err.Error(), fmt.Sprintf("%#v", err), logs.String()) {
		if strings.Contains(s, testKey) {
			t.Errorf("the key leaked:\n%s", s)
		}
	}
	if !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("error %q does not show where the key was", err)
	}
}

// closeRecorder is a response body that records whether it was closed.
type closeRecorder struct {
	io.Reader
	closed bool
}

func (b *closeRecorder) Close() error { b.closed = true; return nil }

// A middleware (or HTTPDoer) that returns a response together with an error has its response body closed:
// the call ends with the error, and leaks no body (net/http's Client.Do never does this; hand-written ones may).
func TestMiddlewareResponseWithAnErrorIsClosed(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { reply(w, 200, "application/json", connJSON) })
	body := &closeRecorder{Reader: strings.NewReader(connJSON)}
	broken := func(req *http.Request, next client.MiddlewareNext) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: body, Header: http.Header{}, Request: req}, errors.New("middleware failed")
	}
	_, err := api.newClient(t, client.WithoutRetries(), client.WithMiddleware(broken)).Connections.Get(bg, getReq())
	var connErr *client.ConnectionError
	if !errors.As(err, &connErr) {
		t.Fatalf("%v; want the middleware's error as a *ConnectionError", err)
	}
	if !body.closed {
		t.Error("the response returned with the error was not closed")
	}
}
