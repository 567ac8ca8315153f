package ampotel_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	ampotel "github.com/ampersand-sdk/ampersand-go/otel"
	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// A call whose context is cancelled ends its spans, with status Error, whether the cancellation comes during
// an attempt or during the wait before a retry.
func TestCancelledCallEndsSpans(t *testing.T) {
	t.Run("during an attempt", func(t *testing.T) {
		h := newHarness(t, nil)
		h.srv.InjectFault(amptest.OpGetConnection, amptest.Fault{Status: 503, Delay: 10 * time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { // cancel once the server holds the request
			for len(h.srv.Requests()) == 0 {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		err := h.get(ctx, h.conn.ID)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		checkCancelled(t, h.rec, 1)
	})
	t.Run("waiting to retry", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rc := client.DefaultRetryConfig()
		rc.InitialInterval, rc.BudgetCapacity = time.Minute, 0
		h := newHarness(t, nil, client.WithRetryConfig(rc),
			client.WithHooks(client.Hooks{Retry: func(context.Context, *client.Call, client.Retry) { cancel() }}))
		h.srv.InjectFault(amptest.OpGetConnection, amptest.Fault{Status: 503})
		err := h.get(ctx, h.conn.ID)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		checkCancelled(t, h.rec, 1)
	})
}

func checkCancelled(t *testing.T, rec *tracetest.SpanRecorder, wantAttempts int) {
	t.Helper()
	if n := len(rec.Started()); n != 1+wantAttempts {
		t.Errorf("%d spans started, want %d", n, 1+wantAttempts)
	}
	calls, attempts := spans(rec, trace.SpanKindInternal), spans(rec, trace.SpanKindClient)
	if len(calls) != 1 || len(attempts) != wantAttempts {
		t.Fatalf("ended: %d call spans and %d attempt spans, want 1 and %d", len(calls), len(attempts), wantAttempts)
	}
	if s := calls[0].Status(); s.Code != codes.Error || s.Description != "context_canceled" {
		t.Errorf("call span status %+v, want Error context_canceled", s)
	}
	if v, _ := attr(calls[0], "error.type"); v.AsString() != "context_canceled" {
		t.Errorf("call span error.type %q", v.AsString())
	}
	last := attempts[len(attempts)-1]
	if last.Status().Code != codes.Error {
		t.Errorf("last attempt span status %+v, want Error", last.Status())
	}
}

// Concurrent calls never mix their spans.
func TestConcurrentCallsKeepTheirSpans(t *testing.T) {
	const n = 16
	h := newHarness(t, nil)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = seed(t, h.srv, "k").ID
	}
	h.srv.InjectFault(amptest.OpGetConnection, amptest.Fault{Status: 503, Times: n / 2})
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			if err := h.get(context.Background(), id); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	calls, attempts := spans(h.rec, trace.SpanKindInternal), spans(h.rec, trace.SpanKindClient)
	if len(calls) != n || len(attempts) != n+n/2 {
		t.Fatalf("%d call spans and %d attempt spans, want %d and %d", len(calls), len(attempts), n, n+n/2)
	}
	traces := map[trace.TraceID]bool{}
	adopted := 0
	for _, c := range calls {
		traces[c.SpanContext().TraceID()] = true
		kids := childrenOf(c, attempts)
		adopted += len(kids)
		want, _ := attr(c, ampotel.AttemptsKey)
		if int64(len(kids)) != want.AsInt64() {
			t.Errorf("call span with %d attempts has %d attempt children", want.AsInt64(), len(kids))
		}
		for i, k := range kids { // in the order they ended, which is the order they ran
			rc, _ := attr(k, "http.request.resend_count")
			if rc.AsInt64() != int64(i) {
				t.Errorf("attempt %d of a call has resend_count %d", i+1, rc.AsInt64())
			}
		}
	}
	if len(traces) != n {
		t.Errorf("%d distinct trace IDs among %d calls", len(traces), n)
	}
	if adopted != len(attempts) {
		t.Errorf("%d of %d attempt spans have a call span parent", adopted, len(attempts))
	}
	bySpan := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, a := range attempts {
		bySpan[a.SpanContext().SpanID()] = a
	}
	for _, r := range h.srv.Requests() {
		tid, sid := traceparentOf(t, r.Header.Get("Traceparent"))
		if a, ok := bySpan[sid]; !ok || a.SpanContext().TraceID() != tid {
			t.Errorf("request traceparent %s/%s matches no attempt span", tid, sid)
		}
	}
}

// An attempt that gets no reply: error.type names the failure, the span has no status code.
func TestTransportFailureSpans(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault amptest.Fault
		opts  []client.Option
		want  string
	}{
		{"reset", amptest.Fault{Kind: amptest.FaultResetBeforeReply, Times: 2}, nil, "connection_error"},
		{"timeout", amptest.Fault{Status: 503, Delay: 5 * time.Second}, []client.Option{client.WithTimeout(50 * time.Millisecond)}, "timeout"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil, tt.opts...)
			h.srv.InjectFault(amptest.OpGetConnection, tt.fault)
			if err := h.get(context.Background(), h.conn.ID); err != nil {
				t.Fatal(err)
			}
			attempts := spans(h.rec, trace.SpanKindClient)
			first, last := attempts[0], attempts[len(attempts)-1]
			if v, _ := attr(first, "error.type"); v.AsString() != tt.want {
				t.Errorf("error.type %q, want %q", v.AsString(), tt.want)
			}
			if s := first.Status(); s.Code != codes.Error || s.Description != tt.want {
				t.Errorf("status %+v, want Error %s", s, tt.want)
			}
			if _, ok := attr(first, "http.response.status_code"); ok {
				t.Error("a failed attempt has a status code")
			}
			if v, _ := attr(last, "http.response.status_code"); v.AsInt64() != 200 {
				t.Errorf("last attempt status %d, want 200", v.AsInt64())
			}
			ev := spans(h.rec, trace.SpanKindInternal)[0].Events()
			if len(ev) != len(attempts)-1 {
				t.Errorf("%d retry events for %d attempts", len(ev), len(attempts))
			}
		})
	}
}

// A panic in All's loop body still ends the call span, with status Error, and records the call's duration;
// the panic reaches the caller.
func TestPanicInAllLoopEndsTheCallSpan(t *testing.T) {
	h := newHarness(t, nil)
	type boom struct{}
	got := func() (p any) {
		defer func() { p = recover() }()
		for range h.c.Connections.All(context.Background(), client.ListConnectionsRequest{ProjectIDOrName: project}) {
			panic(boom{})
		}
		return nil
	}()
	if _, ok := got.(boom); !ok {
		t.Fatalf("recovered %v, want the loop body's panic", got)
	}
	calls := spans(h.rec, trace.SpanKindInternal)
	if len(calls) != 1 || calls[0].Status().Code != codes.Error {
		t.Fatalf("ended call spans %d, want 1 with status Error", len(calls))
	}
	cp := metricNamed(t, collect(t, h.reader), ampotel.MetricCallDuration).Data.(metricdata.Histogram[float64]).DataPoints
	if len(cp) != 1 || cp[0].Count != 1 {
		t.Errorf("%s points %+v, want one of count 1", ampotel.MetricCallDuration, cp)
	}
}
