package ampotel_test

import (
	"context"
	"net/http"
	"testing"

	ampotel "github.com/ampersand-sdk/ampersand-go/otel"
	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// BenchmarkGet measures a getConnection against the fake (server included): without instrumentation, with
// hooks and a middleware that do nothing (the SDK's own cost of them), instrumented with no-op providers, and
// with the SDK's providers (every span sampled, none exported; metrics aggregated by a manual reader).
func BenchmarkGet(b *testing.B) {
	srv := amptest.NewServer()
	b.Cleanup(srv.Close)
	conn := seed(b, srv, "bench-key")
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })

	for _, bc := range []struct {
		name string
		opts []client.Option
	}{
		{"uninstrumented", nil},
		// What the SDK itself spends on hooks and middleware, with hooks and a middleware that do nothing.
		{"passthrough", []client.Option{
			client.WithHooks(client.Hooks{
				CallStart: func(ctx context.Context, _ *client.Call) context.Context { return ctx },
				CallEnd:   func(context.Context, *client.Call, error) {},
			}),
			client.WithMiddleware(func(req *http.Request, next client.MiddlewareNext) (*http.Response, error) { return next(req) }),
		}},
		{"instrumented-noop", []client.Option{ampotel.Instrument(ampotel.Config{
			TracerProvider: tracenoop.NewTracerProvider(), MeterProvider: metricnoop.NewMeterProvider()})}},
		{"instrumented-sdk", []client.Option{ampotel.Instrument(ampotel.Config{TracerProvider: tp, MeterProvider: mp})}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := client.New(append([]client.Option{client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey)}, bc.opts...)...)
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseIdleConnections()
			req := client.GetConnectionRequest{ProjectIDOrName: project, ConnectionID: conn.ID}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Connections.Get(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			srv.ResetRequests() // the fake records every request
		})
	}
}
