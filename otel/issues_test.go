package ampotel_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	ampotel "github.com/ampersand-sdk/ampersand-go/otel"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// drift replaces every success body by body, as a server that drifted from its schema would send it.
func drift(body string) client.Option {
	return client.WithMiddleware(func(req *http.Request, next client.MiddlewareNext) (*http.Response, error) {
		resp, err := next(req)
		if err == nil && resp.StatusCode < 300 {
			resp.Body.Close()
			resp.Body, resp.ContentLength = io.NopCloser(strings.NewReader(body)), -1
		}
		return resp, err
	})
}

// A call whose body was repaired: the call span counts the issues and has an event for each (up to
// MaxDecodeIssueEvents), with its pointer and kind — never its raw value, which may hold a credential.
func TestDecodeIssuesOnTheCallSpan(t *testing.T) {
	h := newHarness(t, nil)
	var b strings.Builder
	b.WriteString(`{"id":"c","apiKey":["secret-value"]`)
	for i := range ampotel.MaxDecodeIssueEvents + 5 {
		fmt.Fprintf(&b, `,"providerMetadata":{"k%d":{"value":%d,"source":"input"}}`, i, i)
	}
	b.WriteString("}")
	if err := h.get(context.Background(), h.conn.ID, drift(b.String())); err != nil {
		t.Fatal(err)
	}
	call := spans(h.rec, trace.SpanKindInternal)[0]
	n := 1 + ampotel.MaxDecodeIssueEvents + 5 + 7 // apiKey, each metadata value, the 7 missing required properties
	if v, ok := attr(call, ampotel.DecodeIssuesKey); !ok || v.AsInt64() != int64(n) {
		t.Errorf("%s = %v, want %d", ampotel.DecodeIssuesKey, v, n)
	}
	events := call.Events()
	if len(events) != ampotel.MaxDecodeIssueEvents {
		t.Fatalf("%d events, want %d", len(events), ampotel.MaxDecodeIssueEvents)
	}
	first := events[0]
	if first.Name != ampotel.DecodeIssueEventName || len(first.Attributes) != 2 ||
		first.Attributes[0] != ampotel.DecodeIssuePointerKey.String("/apiKey") ||
		first.Attributes[1] != ampotel.DecodeIssueKindKey.String(string(client.DecodeIssueWrongType)) {
		t.Errorf("first event %s %v", first.Name, first.Attributes)
	}
	if s := fmt.Sprint(call.Attributes(), events); strings.Contains(s, "secret-value") {
		t.Errorf("the raw value is on the span: %s", s)
	}

	h2 := newHarness(t, nil)
	if err := h2.get(context.Background(), h2.conn.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := attr(spans(h2.rec, trace.SpanKindInternal)[0], ampotel.DecodeIssuesKey); ok {
		t.Errorf("%s on the span of a call without issues", ampotel.DecodeIssuesKey)
	}
}
