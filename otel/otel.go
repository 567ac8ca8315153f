package ampotel

import (
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope name of the tracer and the meter: this module's path.
const ScopeName = "github.com/ampersand-sdk/ampersand-go/otel"

// Version is this module's version, the instrumentation scope's version.
const Version = "0.1.0"

// Config says where telemetry goes. The zero Config uses OpenTelemetry's global providers and propagator.
type Config struct {
	// TracerProvider creates the tracer. Nil means otel.GetTracerProvider(), read when Instrument is called;
	// until otel.SetTracerProvider is called that is a delegating provider, so spans reach the provider set
	// later, even when Instrument ran first.
	TracerProvider trace.TracerProvider
	// MeterProvider creates the meter. Nil means otel.GetMeterProvider(), read when Instrument is called
	// (delegating, like the tracer provider, until otel.SetMeterProvider is called).
	MeterProvider metric.MeterProvider
	// Propagators write each attempt's trace context into its request headers. Nil means
	// otel.GetTextMapPropagator(), read for each request; while that writes no field at all (its Fields
	// are empty, as for OpenTelemetry's default when otel.SetTextMapPropagator was never called),
	// propagation.TraceContext{} is used instead, so requests carry a W3C traceparent header by default.
	// To send no trace context, set Propagators to propagation.NewCompositeTextMapPropagator(): a
	// propagator given here is used as it is.
	Propagators propagation.TextMapPropagator
}

// Instrument returns an option that traces and measures calls (see the package documentation): given to
// client.New, every call of the client; given to a call, that call. It adds hooks (client.WithHooks) for the
// call's span and metrics and a middleware (client.WithMiddleware) for each attempt's span, metric and
// trace context headers.
//
// The tracer and the instruments are created once, by Instrument; the option is safe to share between
// clients and calls used concurrently. Each Instrument makes an independent set of spans: give one per
// client, not one to the client and another to its calls (giving the same option to both is harmless, the
// call is traced once).
func Instrument(cfg Config) client.Option {
	in := newInstrumentation(cfg)
	return client.Compose(
		client.WithHooks(client.Hooks{CallStart: in.callStart, Retry: in.retry, CallEnd: in.callEnd}),
		client.WithMiddleware(in.middleware),
	)
}

// instrumentation is what one Instrument call made: read-only once made, shared by every call it sees.
type instrumentation struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator // nil: the global one (see Config.Propagators)
	metrics    instruments
	targets    targets
}

func newInstrumentation(cfg Config) *instrumentation {
	tp, mp := cfg.TracerProvider, cfg.MeterProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	return &instrumentation{
		tracer:     tp.Tracer(ScopeName, trace.WithInstrumentationVersion(Version), trace.WithSchemaURL(semconv.SchemaURL)),
		propagator: cfg.Propagators,
		metrics:    newInstruments(mp.Meter(ScopeName, metric.WithInstrumentationVersion(Version), metric.WithSchemaURL(semconv.SchemaURL))),
	}
}

// traceContext is the propagator used while the global one is OpenTelemetry's default.
var traceContext propagation.TextMapPropagator = propagation.TraceContext{}

// textMapPropagator returns the propagator for a request (see Config.Propagators).
func (in *instrumentation) textMapPropagator() propagation.TextMapPropagator {
	if in.propagator != nil {
		return in.propagator
	}
	if p := otel.GetTextMapPropagator(); len(p.Fields()) > 0 {
		return p
	}
	return traceContext
}
