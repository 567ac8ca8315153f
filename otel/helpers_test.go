package ampotel_test

import (
	"context"
	"strings"
	"testing"
	"time"

	ampotel "github.com/ampersand-sdk/ampersand-go/otel"
	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const project = "otel-project"

// harness is a fake server, a client instrumented with recording providers, and what they recorded.
type harness struct {
	srv    *amptest.Server
	c      *client.Client
	rec    *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	conn   client.Connection // a seeded connection of project
}

// fastRetries retries 5XX (and connection errors) within milliseconds, without a retry budget.
func fastRetries() client.Option {
	rc := client.DefaultRetryConfig()
	rc.InitialInterval, rc.MaxInterval, rc.BudgetCapacity = time.Millisecond, 2*time.Millisecond, 0
	return client.WithRetryConfig(rc)
}

func newHarness(t testing.TB, srvOpts []amptest.Option, opts ...client.Option) *harness {
	t.Helper()
	srv := amptest.NewServer(srvOpts...)
	t.Cleanup(srv.Close)
	h := &harness{srv: srv, rec: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.rec), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	all := append([]client.Option{
		client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey), fastRetries(),
		ampotel.Instrument(ampotel.Config{TracerProvider: tp, MeterProvider: mp}),
	}, opts...)
	c, err := client.New(all...)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	h.conn = seed(t, srv, "seed-key")
	return h
}

func seed(t testing.TB, srv *amptest.Server, apiKey string) client.Connection {
	t.Helper()
	conn, err := srv.SeedConnection(project, client.GenerateConnectionParams{
		Provider: "hubspot", GroupRef: "group-1", ConsumerRef: "consumer-1", APIKey: apiKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func (h *harness) get(ctx context.Context, id string, opts ...client.Option) error {
	_, err := h.c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: project, ConnectionID: id}, opts...)
	return err
}

// spans returns the ended spans of a kind, in the order they ended.
func spans(rec *tracetest.SpanRecorder, kind trace.SpanKind) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanKind() == kind {
			out = append(out, s)
		}
	}
	return out
}

// attr returns the value of the attribute k of s, and whether it has one.
func attr(s sdktrace.ReadOnlySpan, k attribute.Key) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if kv.Key == k {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// childrenOf returns the spans among ss whose parent is p.
func childrenOf(p sdktrace.ReadOnlySpan, ss []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range ss {
		if s.Parent().SpanID() == p.SpanContext().SpanID() && s.Parent().TraceID() == p.SpanContext().TraceID() {
			out = append(out, s)
		}
	}
	return out
}

// collect reads the metrics recorded so far.
func collect(t testing.TB, r *sdkmetric.ManualReader) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	return rm
}

// metricNamed returns the metric called name, or fails the test.
func metricNamed(t testing.TB, rm metricdata.ResourceMetrics, name string) metricdata.Metrics {
	t.Helper()
	var names []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m
			}
			names = append(names, m.Name)
		}
	}
	t.Fatalf("no metric %s; have %s", name, strings.Join(names, ", "))
	return metricdata.Metrics{}
}

// traceparentOf parses a W3C traceparent header ("00-<trace ID>-<span ID>-<flags>").
func traceparentOf(t testing.TB, v string) (trace.TraceID, trace.SpanID) {
	t.Helper()
	parts := strings.Split(v, "-")
	if len(parts) != 4 || parts[0] != "00" {
		t.Fatalf("traceparent %q is not version 00 with four fields", v)
	}
	tid, err := trace.TraceIDFromHex(parts[1])
	if err != nil {
		t.Fatalf("traceparent %q: %v", v, err)
	}
	sid, err := trace.SpanIDFromHex(parts[2])
	if err != nil {
		t.Fatalf("traceparent %q: %v", v, err)
	}
	return tid, sid
}
