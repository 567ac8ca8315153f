package ampotel

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// durationBuckets are the semantic conventions' bucket boundaries for http.client.request.duration, in
// seconds; the call duration uses them too.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// attemptBuckets are the bucket boundaries of ampersand.client.call.attempts.
var attemptBuckets = []float64{1, 2, 3, 4, 5, 7, 10}

// instruments are the metric instruments of one Instrument call.
type instruments struct {
	request  metric.Float64Histogram // http.client.request.duration, per attempt
	call     metric.Float64Histogram // ampersand.client.call.duration, per call
	attempts metric.Int64Histogram   // ampersand.client.call.attempts, per call
}

func newInstruments(m metric.Meter) instruments {
	var in instruments
	var err error
	in.request, err = m.Float64Histogram(MetricRequestDuration,
		metric.WithDescription("Duration of HTTP client requests."),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(durationBuckets...))
	if err != nil || in.request == nil {
		otel.Handle(err)
		in.request = noop.Float64Histogram{}
	}
	in.call, err = m.Float64Histogram(MetricCallDuration,
		metric.WithDescription("Duration of Ampersand SDK calls, every attempt and retry wait included."),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(durationBuckets...))
	if err != nil || in.call == nil {
		otel.Handle(err)
		in.call = noop.Float64Histogram{}
	}
	in.attempts, err = m.Int64Histogram(MetricCallAttempts,
		metric.WithDescription("Number of HTTP requests each Ampersand SDK call sent."),
		metric.WithUnit("{attempt}"), metric.WithExplicitBucketBoundaries(attemptBuckets...))
	if err != nil || in.attempts == nil {
		otel.Handle(err)
		in.attempts = noop.Int64Histogram{}
	}
	return in
}

// recordAttempt records http.client.request.duration for one attempt (a.status is 0 without a reply).
func (in *instruments) recordAttempt(ctx context.Context, d time.Duration, a *attemptAttrs) {
	if !in.request.Enabled(ctx) { // a no-op meter: no attributes to build
		return
	}
	attrs := make([]attribute.KeyValue, 0, 6)
	attrs = append(attrs,
		semconv.HTTPRequestMethodKey.String(a.method),
		semconv.ServerAddressKey.String(a.host),
		semconv.ServerPortKey.Int(a.port),
		OperationKey.String(a.operation))
	if a.status != 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCodeKey.Int(a.status))
	}
	if a.errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(a.errType))
	}
	in.request.Record(ctx, d.Seconds(), metric.WithAttributeSet(attribute.NewSet(attrs...)))
}

// recordCall records the call duration and attempts of one call.
func (in *instruments) recordCall(ctx context.Context, op string, d time.Duration, attempts int, class, errType string) {
	opAttr := OperationKey.String(op)
	if in.call.Enabled(ctx) {
		attrs := [3]attribute.KeyValue{opAttr, StatusClassKey.String(class)}
		n := 2
		if errType != "" {
			attrs[2], n = semconv.ErrorTypeKey.String(errType), 3
		}
		in.call.Record(ctx, d.Seconds(), metric.WithAttributeSet(attribute.NewSet(attrs[:n]...)))
	}
	if in.attempts.Enabled(ctx) {
		in.attempts.Record(ctx, int64(attempts), metric.WithAttributeSet(attribute.NewSet(opAttr)))
	}
}
