package ampotel_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	ampotel "github.com/ampersand-sdk/ampersand-go/otel"
	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const getRoute = "/projects/{projectIdOrName}/connections/{connectionId}"

// A 503 then a 200: one INTERNAL call span, two CLIENT attempt spans under it, one retry event.
func TestRetriedCallSpans(t *testing.T) {
	h := newHarness(t, nil)
	h.srv.InjectFault(amptest.OpGetConnection, amptest.Fault{Status: http.StatusServiceUnavailable})
	if err := h.get(context.Background(), h.conn.ID); err != nil {
		t.Fatal(err)
	}

	calls, attempts := spans(h.rec, trace.SpanKindInternal), spans(h.rec, trace.SpanKindClient)
	if len(calls) != 1 || len(attempts) != 2 || len(h.rec.Ended()) != 3 {
		t.Fatalf("got %d call spans and %d attempt spans of %d; want 1 and 2 of 3", len(calls), len(attempts), len(h.rec.Ended()))
	}
	call := calls[0]
	if call.Name() != "getConnection" {
		t.Errorf("call span name %q, want getConnection", call.Name())
	}
	if v, _ := attr(call, ampotel.OperationKey); v.AsString() != "getConnection" {
		t.Errorf("ampersand.operation = %q", v.AsString())
	}
	if v, _ := attr(call, ampotel.ProjectKey); v.AsString() != project {
		t.Errorf("ampersand.project = %q, want %q", v.AsString(), project)
	}
	if v, ok := attr(call, ampotel.AttemptsKey); !ok || v.AsInt64() != 2 {
		t.Errorf("ampersand.attempts = %v (set: %v), want 2", v.AsInt64(), ok)
	}
	if call.Status().Code != codes.Unset {
		t.Errorf("call span status %v, want unset", call.Status())
	}
	if call.Parent().IsValid() {
		t.Errorf("call span has a parent %v; the call's context had no span", call.Parent())
	}
	if got := childrenOf(call, attempts); len(got) != 2 {
		t.Fatalf("the call span has %d attempt children, want 2", len(got))
	}

	wantStatus := []int64{503, 200}
	for i, a := range attempts {
		if a.Name() != "GET "+getRoute {
			t.Errorf("attempt %d: name %q", i+1, a.Name())
		}
		if a.SpanContext().TraceID() != call.SpanContext().TraceID() {
			t.Errorf("attempt %d: trace %s, call %s", i+1, a.SpanContext().TraceID(), call.SpanContext().TraceID())
		}
		if v, _ := attr(a, "http.response.status_code"); v.AsInt64() != wantStatus[i] {
			t.Errorf("attempt %d: status code %d, want %d", i+1, v.AsInt64(), wantStatus[i])
		}
		rc, ok := attr(a, "http.request.resend_count")
		switch {
		case i == 0 && ok:
			t.Errorf("attempt 1 has http.request.resend_count %d; it is no resend", rc.AsInt64())
		case i == 1 && (!ok || rc.AsInt64() != 1):
			t.Errorf("attempt 2: http.request.resend_count %d (set: %v), want 1", rc.AsInt64(), ok)
		}
		if v, _ := attr(a, "http.request.method"); v.AsString() != "GET" {
			t.Errorf("attempt %d: http.request.method %q", i+1, v.AsString())
		}
		if v, _ := attr(a, "server.address"); v.AsString() != "127.0.0.1" {
			t.Errorf("attempt %d: server.address %q", i+1, v.AsString())
		}
		if v, _ := attr(a, "server.port"); v.AsInt64() == 0 {
			t.Errorf("attempt %d: no server.port", i+1)
		}
		wantURL := strings.TrimSuffix(h.srv.URL, "/") + getRoute
		if v, _ := attr(a, "url.full"); v.AsString() != wantURL {
			t.Errorf("attempt %d: url.full %q, want %q", i+1, v.AsString(), wantURL)
		}
		if v, _ := attr(a, "url.template"); v.AsString() != "/v1"+getRoute {
			t.Errorf("attempt %d: url.template %q", i+1, v.AsString())
		}
	}
	if s := attempts[0].Status(); s.Code != codes.Error {
		t.Errorf("503 attempt status %v, want Error", s)
	}
	if v, _ := attr(attempts[0], "error.type"); v.AsString() != "503" {
		t.Errorf("503 attempt error.type %q, want \"503\"", v.AsString())
	}
	if s := attempts[1].Status(); s.Code != codes.Unset {
		t.Errorf("200 attempt status %v, want unset", s)
	}
	if _, ok := attr(attempts[1], "error.type"); ok {
		t.Error("200 attempt has error.type")
	}

	events := call.Events()
	if len(events) != 1 || events[0].Name != ampotel.RetryEventName {
		t.Fatalf("call span events %+v, want one %s", events, ampotel.RetryEventName)
	}
	ev := map[string]any{}
	for _, kv := range events[0].Attributes {
		ev[string(kv.Key)] = kv.Value.AsInterface()
	}
	if ev["ampersand.retry.attempt"] != int64(1) || ev["error.type"] != "503" {
		t.Errorf("retry event attributes %v", ev)
	}
	if w, ok := ev["ampersand.retry.wait"].(float64); !ok || w <= 0 || w > 0.01 {
		t.Errorf("retry wait %v, want a float64 of seconds in (0, 0.01]", ev["ampersand.retry.wait"])
	}
	if r, _ := ev["ampersand.retry.reason"].(string); r != "the problem says retryable: true" { // amptest's 503 problem

		t.Errorf("retry reason %q", r)
	}
}

// Each request carries the traceparent of its own attempt span.
func TestTraceparentHeader(t *testing.T) {
	h := newHarness(t, nil)
	h.srv.InjectFault(amptest.OpGetConnection, amptest.Fault{Status: http.StatusServiceUnavailable})
	if err := h.get(context.Background(), h.conn.ID); err != nil {
		t.Fatal(err)
	}
	reqs, attempts := h.srv.Requests(), spans(h.rec, trace.SpanKindClient)
	if len(reqs) != 2 || len(attempts) != 2 {
		t.Fatalf("%d requests and %d attempt spans, want 2 and 2", len(reqs), len(attempts))
	}
	for i, r := range reqs {
		tid, sid := traceparentOf(t, r.Header.Get("Traceparent"))
		sc := attempts[i].SpanContext()
		if tid != sc.TraceID() || sid != sc.SpanID() {
			t.Errorf("request %d: traceparent %s/%s, attempt span %s/%s", i+1, tid, sid, sc.TraceID(), sc.SpanID())
		}
	}
}

// A failed call: error.type and status Error on the call span and on its attempt.
func TestFailedCallSpan(t *testing.T) {
	h := newHarness(t, nil)
	err := h.get(context.Background(), "no-such-connection")
	if !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	calls, attempts := spans(h.rec, trace.SpanKindInternal), spans(h.rec, trace.SpanKindClient)
	if len(calls) != 1 || len(attempts) != 1 {
		t.Fatalf("%d call spans and %d attempt spans, want 1 and 1", len(calls), len(attempts))
	}
	for _, s := range []sdktrace.ReadOnlySpan{calls[0], attempts[0]} {
		if v, _ := attr(s, "error.type"); v.AsString() != "404" {
			t.Errorf("%s: error.type %q, want \"404\"", s.Name(), v.AsString())
		}
		if s.Status().Code != codes.Error {
			t.Errorf("%s: status %+v, want Error", s.Name(), s.Status())
		}
	}
	if d := calls[0].Status().Description; d != "404" {
		t.Errorf("call span status description %q, want \"404\"", d)
	}
	if d := attempts[0].Status().Description; d != "" {
		t.Errorf("attempt span status description %q: it derives from the status code, so none", d)
	}
}

// The call span is a child of the span in the caller's context.
func TestCallSpanHasCallersParent(t *testing.T) {
	h := newHarness(t, nil)
	tp := sdktrace.NewTracerProvider()
	ctx, parent := tp.Tracer("test").Start(context.Background(), "parent")
	if err := h.get(ctx, h.conn.ID); err != nil {
		t.Fatal(err)
	}
	parent.End()
	call := spans(h.rec, trace.SpanKindInternal)[0]
	if call.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Errorf("call span parent %s, want %s", call.Parent().SpanID(), parent.SpanContext().SpanID())
	}
}

// A nil Config field means the global provider; the default global propagator means W3C trace context.
func TestNilConfigUsesGlobals(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	prevTP, prevMP := otel.GetTracerProvider(), otel.GetMeterProvider()
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	t.Cleanup(func() { otel.SetTracerProvider(prevTP); otel.SetMeterProvider(prevMP) })

	srv := amptest.NewServer()
	t.Cleanup(srv.Close)
	conn := seed(t, srv, "k")
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey))
	if err != nil {
		t.Fatal(err)
	}
	req := client.GetConnectionRequest{ProjectIDOrName: project, ConnectionID: conn.ID}
	if _, err := c.Connections.Get(context.Background(), req, ampotel.Instrument(ampotel.Config{})); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()); n != 2 {
		t.Fatalf("the global provider recorded %d spans, want 2", n)
	}
	rm := collect(t, reader)
	if pts := metricNamed(t, rm, ampotel.MetricCallAttempts).Data.(metricdata.Histogram[int64]).DataPoints; len(pts) != 1 || pts[0].Sum != 1 {
		t.Errorf("the global meter provider recorded %+v", pts)
	}
	reqs := srv.Requests()
	tid, sid := traceparentOf(t, reqs[0].Header.Get("Traceparent"))
	if a := spans(rec, trace.SpanKindClient)[0].SpanContext(); a.TraceID() != tid || a.SpanID() != sid {
		t.Errorf("traceparent %s/%s, attempt span %s/%s", tid, sid, a.TraceID(), a.SpanID())
	}

	// An empty composite propagator sends nothing; the call is still traced.
	if _, err := c.Connections.Get(context.Background(), req, ampotel.Instrument(ampotel.Config{
		Propagators: propagation.NewCompositeTextMapPropagator(),
	})); err != nil {
		t.Fatal(err)
	}
	if reqs := srv.Requests(); reqs[1].Header.Get("Traceparent") != "" {
		t.Errorf("an empty propagator sent traceparent %q", reqs[1].Header.Get("Traceparent"))
	}
	if n := len(rec.Ended()); n != 4 {
		t.Errorf("%d spans, want 4", n)
	}
}

// The same option given to the client and to a call traces the call once; two different Instrument options
// each trace it.
func TestSameOptionTwice(t *testing.T) {
	srv := amptest.NewServer()
	t.Cleanup(srv.Close)
	conn := seed(t, srv, "k")
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	inst := ampotel.Instrument(ampotel.Config{TracerProvider: tp})
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey), fastRetries(), inst)
	if err != nil {
		t.Fatal(err)
	}
	srv.InjectFault(amptest.OpGetConnection, amptest.Fault{Status: 503})
	req := client.GetConnectionRequest{ProjectIDOrName: project, ConnectionID: conn.ID}
	if _, err := c.Connections.Get(context.Background(), req, inst); err != nil {
		t.Fatal(err)
	}
	calls, attempts := spans(rec, trace.SpanKindInternal), spans(rec, trace.SpanKindClient)
	if len(calls) != 1 || len(attempts) != 2 || len(calls[0].Events()) != 1 {
		t.Fatalf("%d call spans (%d events), %d attempt spans; want 1 (1), 2", len(calls), len(calls[0].Events()), len(attempts))
	}
	if rc, _ := attr(attempts[1], "http.request.resend_count"); rc.AsInt64() != 1 {
		t.Errorf("resend_count of attempt 2 = %d, want 1", rc.AsInt64())
	}

	rec2 := tracetest.NewSpanRecorder()
	other := ampotel.Instrument(ampotel.Config{TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec2))})
	if _, err := c.Connections.Get(context.Background(), req, other); err != nil {
		t.Fatal(err)
	}
	if n, n2 := len(rec.Ended()), len(rec2.Ended()); n != 5 || n2 != 2 {
		t.Errorf("%d and %d spans, want 5 (3 + 2) and 2", n, n2)
	}
}

// A streamed list (All) that the caller stops early still ends its spans, without error.
func TestAllStoppedEarly(t *testing.T) {
	h := newHarness(t, nil)
	seed(t, h.srv, "k2")
	seed(t, h.srv, "k3")
	n := 0
	for _, err := range h.c.Connections.All(context.Background(), client.ListConnectionsRequest{ProjectIDOrName: project}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		break
	}
	calls, attempts := spans(h.rec, trace.SpanKindInternal), spans(h.rec, trace.SpanKindClient)
	if n != 1 || len(calls) != 1 || len(attempts) != 1 || len(h.rec.Started()) != 2 {
		t.Fatalf("%d connections, %d call spans, %d attempt spans, %d started", n, len(calls), len(attempts), len(h.rec.Started()))
	}
	if calls[0].Name() != "listConnections" || calls[0].Status().Code != codes.Unset {
		t.Errorf("call span %s status %+v", calls[0].Name(), calls[0].Status())
	}
}
