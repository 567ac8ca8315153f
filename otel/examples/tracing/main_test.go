package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// The program prints the two attempt spans and the call span, and the traceparent each attempt sent names
// its span.
func TestRun(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(out.String()))
	type span struct {
		Name        string
		SpanKind    int
		SpanContext struct{ TraceID, SpanID string }
		Parent      struct{ SpanID string }
		Attributes  []struct {
			Key   string
			Value struct{ Value any }
		}
	}
	var spans []span
	for dec.More() {
		var s span
		if err := dec.Decode(&s); err != nil {
			break // the traceparent lines after the spans
		}
		spans = append(spans, s)
	}
	if len(spans) != 3 || spans[2].Name != "getConnection" {
		t.Fatalf("%d spans:\n%s", len(spans), out.String())
	}
	call := spans[2]
	for i, s := range spans[:2] {
		if s.Name != "GET /projects/{projectIdOrName}/connections/{connectionId}" || s.Parent.SpanID != call.SpanContext.SpanID {
			t.Errorf("attempt %d: %+v", i+1, s)
		}
		want := "attempt " + string(rune('1'+i)) + " sent traceparent 00-" + s.SpanContext.TraceID + "-" + s.SpanContext.SpanID + "-01"
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(out.String(), `"http.request.resend_count"`) || !strings.Contains(out.String(), `"ampersand.retry"`) {
		t.Errorf("no resend count or retry event:\n%s", out.String())
	}
}
