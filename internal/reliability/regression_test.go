package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// Regression tests for bugs this suite found in pkg/client; each comment says what was wrong and how it was
// fixed.

// %#v of an *APIError or *ConnectionError printed the unexported `secret` field, which held the API key,
// even when the server never mentioned the key. %#v is what testify's assertion messages, spew and many
// debugging `log.Printf("%#v", err)` calls print. Fixed: the errors hold a *string, which %#v prints as an
// address.
func TestRegression_GoSyntaxErrorFormatShowsKey(t *testing.T) {
	srv := amptest.NewServer(amptest.WithAPIKey(canary))
	t.Cleanup(srv.Close)
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(canary), client.WithHTTPClient(newCountingDoer(t)))
	if err != nil {
		t.Fatal(err)
	}
	_, notFound := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "missing"})
	reset := secretCalls(t, echoServer(t, false))["ConnectionError"]
	for name, err := range map[string]error{"APIError 404": notFound, "ConnectionError": reset} {
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		for _, l := range leaks(err, "%#v") {
			t.Errorf("%s: the key leaked: %s", name, l)
		}
	}
}

// A DecodeError's message embeds the decoder's error, which quotes the offending value: a server that echoes
// the key into a field that fails to decode (here createTime) gets it into the error string, which every
// other error type redacts. Fixed: DecodeError.Error() redacts the key as APIError and ConnectionError do.
// Since decoding is tolerant (issue 21) the bad time is a DecodeIssue, and a DecodeError under
// WithStrictDecoding: neither the error string nor the issues hold the key.
func TestRegression_DecodeErrorShowsEchoedKey(t *testing.T) {
	c := echoServer(t, false)
	var issues []client.DecodeIssue
	_, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "badtime"},
		client.WithHooks(client.Hooks{CallEnd: func(_ context.Context, call *client.Call, _ error) { issues = call.DecodeIssues }}))
	if err != nil || len(issues) == 0 || strings.Contains(fmt.Sprint(issues), canary) || issues[0].Raw != `"[REDACTED]"` {
		t.Fatalf("default: err = %v, issues %q; want the issue of createTime first, the key redacted", err, issues)
	}
	_, err = c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "badtime"},
		client.WithStrictDecoding())
	var decErr *client.DecodeError
	if !errors.As(err, &decErr) {
		t.Fatalf("strict: err = %v, want a DecodeError", err)
	}
	for _, verb := range []string{"%v", "%+v"} {
		if s := fmt.Sprintf(verb, err); strings.Contains(s, canary) {
			t.Errorf("the key leaked: %s of the DecodeError: %s", verb, s)
		}
	}
	if strings.Contains(fmt.Sprint(decErr.Issues), canary) {
		t.Errorf("the key leaked in DecodeError.Issues: %q", decErr.Issues)
	}
}

// The debug log prints response headers verbatim except for a fixed list of names: a server or proxy that
// reflects the request's X-Api-Key under another name (X-Echo-Key here) gets the key into the log, which
// the README promises shows it only as [REDACTED]. Fix: in redactedHeaders.LogValue (log.go), also pass
// every value through redact(value, cfg.apiKey), as error strings are.
func TestRegression_DebugLogShowsKeyEchoedInResponseHeader(t *testing.T) {
	logger, bufs := everyLogger()
	c := echoServer(t, true)
	_, _ = c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "problem"}, client.WithLogger(logger))
	for _, name := range []string{"JSON DEBUG", "text DEBUG"} {
		if log := bufs[name].String(); strings.Contains(log, canary) {
			t.Errorf("%s log leaked the key:\n%s", name, log)
		}
	}
}

// An HTTPDoer that returns neither a response nor an error (or a response with a nil Body) makes the SDK
// dereference nil and panic. net/http's own Client guards this contract breach of RoundTrippers with an
// error; WithHTTPClient accepts any HTTPDoer, so the SDK should too. Fix: in try.send (call.go), after
// cfg.doer.Do, turn resp == nil into a ConnectionError ("HTTPDoer %T returned neither a response nor an
// error") and a nil resp.Body into http.NoBody.
func TestRegression_DoerWithoutResponsePanics(t *testing.T) {
	for name, d := range map[string]nilDoer{"nil response": {}, "nil body": {body: true}} {
		var err error
		if v := callRecovering(func() { err = callWithDoer(t, d) }); v != nil {
			t.Errorf("%s: the SDK panicked: %v", name, v)
		} else if name == "nil response" && err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
