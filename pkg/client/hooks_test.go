package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

type ctxKey struct{}

// Hooks see a call's start, each retry and its end, in order, with one *Call; the context CallStart returns
// is the one the attempts run in. Client hooks run before call hooks.
func TestHooks(t *testing.T) {
	api := newFakeAPI(t, sequence(status(503, "Retry-After", "0"), ok))
	var events []string
	record := func(who string) client.Hooks {
		return client.Hooks{
			CallStart: func(ctx context.Context, call *client.Call) context.Context {
				events = append(events, who+" start "+call.Operation+" "+call.Method+" "+call.Route+" "+call.Project)
				return context.WithValue(ctx, ctxKey{}, who)
			},
			Retry: func(_ context.Context, call *client.Call, r client.Retry) {
				var apiErr *client.APIError
				if !errors.As(r.Err, &apiErr) || r.Attempt != 1 || r.Wait <= 0 || !strings.Contains(r.Reason, "503") {
					t.Errorf("Retry = %+v", r)
				}
				events = append(events, who+" retry")
			},
			CallEnd: func(_ context.Context, call *client.Call, err error) {
				events = append(events, who+" end")
				if err != nil || call.Attempts != 2 {
					t.Errorf("CallEnd: %v after %d attempts", err, call.Attempts)
				}
			},
		}
	}
	var seen any
	c := api.newClient(t, client.WithRetryConfig(fastRetries()), client.WithHooks(record("client")),
		client.WithRequestEditor(func(ctx context.Context, _ *http.Request) error { seen = ctx.Value(ctxKey{}); return nil }))
	if _, err := c.Connections.Get(bg, getReq(), client.WithHooks(record("call"))); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"client start getConnection GET /projects/{projectIdOrName}/connections/{connectionId} p",
		"call start getConnection GET /projects/{projectIdOrName}/connections/{connectionId} p",
		"client retry", "call retry", "client end", "call end",
	}
	if strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}
	if seen != "call" {
		t.Errorf("the attempts ran in context %v, want the one the last CallStart returned", seen)
	}
}

// A panic in a hook between attempts (here Retry) goes on to the caller unchanged, but ends the call first:
// CallEnd runs once, with an error.
func TestPanicInARetryHookEndsTheCall(t *testing.T) {
	api := newFakeAPI(t, sequence(status(503, "Retry-After", "0"), ok))
	type boom struct{}
	var ends []error
	c := api.newClient(t, client.WithRetryConfig(fastRetries()), client.WithHooks(client.Hooks{
		Retry:   func(context.Context, *client.Call, client.Retry) { panic(boom{}) },
		CallEnd: func(_ context.Context, _ *client.Call, err error) { ends = append(ends, err) },
	}))
	got := func() (p any) {
		defer func() { p = recover() }()
		_, _ = c.Connections.Get(bg, getReq())
		return nil
	}()
	if _, ok := got.(boom); !ok {
		t.Errorf("recovered %v, want the hook's own panic value", got)
	}
	if len(ends) != 1 || ends[0] == nil {
		t.Errorf("CallEnd ran with %v; want once, with an error", ends)
	}
}

// Call.DecodeIssues are those of the call's success body: the issues of a body that broke off (a connection
// reset mid-body, retried) do not outlive it, even when the retry ends the call with an *APIError.
func TestDecodeIssuesOfABrokenBodyAreDropped(t *testing.T) {
	api := newFakeAPI(t, sequence(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		// A wrong type (an issue), then the connection breaks off within the body.
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n" +
			`{"id":"conn-1","provider":5,"projectId":"p`)
		_ = buf.Flush()
		_ = conn.(*net.TCPConn).SetLinger(0)
		_ = conn.Close()
	}, status(404)))
	var issues []client.DecodeIssue
	ended := false
	_, err := api.newClient(t).Connections.Get(bg, getReq(), client.WithHooks(client.Hooks{
		CallEnd: func(_ context.Context, call *client.Call, _ error) { ended, issues = true, call.DecodeIssues },
	}))
	if !errors.Is(err, client.ErrNotFound) || !ended {
		t.Fatalf("%v (CallEnd run: %v); want the 404 of the retry", err, ended)
	}
	if len(issues) != 0 {
		t.Errorf("Call.DecodeIssues = %v; want none: the broken body is not the call's", issues)
	}
}
