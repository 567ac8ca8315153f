// Command tracing prints the trace of a retried call: it starts a fake Ampersand API in-process (package
// amptest, no network), makes it answer one getConnection with 503, and gets the connection with a client
// instrumented by ampotel, exporting spans to standard output with OpenTelemetry's stdout exporter.
//
//	cd otel && go run ./examples/tracing
//
// It prints three spans — the two attempts (CLIENT, "GET /projects/{projectIdOrName}/connections/{connectionId}",
// status 503 then 200, the second with http.request.resend_count 1) and the call (INTERNAL, "getConnection",
// ampersand.attempts 2, one ampersand.retry event) — and then the traceparent header each attempt carried.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	ampotel "github.com/ampersand-sdk/ampersand-go/otel"
	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tracing:", err)
		os.Exit(1)
	}
}

// run is the program, writing to out, so that a test can run it.
func run(ctx context.Context, out io.Writer) error {
	srv := amptest.NewServer()
	defer srv.Close()
	conn, err := srv.SeedConnection("my-project", client.GenerateConnectionParams{
		Provider: "hubspot", GroupRef: "group-1", ConsumerRef: "consumer-1", APIKey: "pat-na1-example",
	})
	if err != nil {
		return err
	}
	srv.InjectFault(amptest.OpGetConnection, amptest.Fault{Status: 503}) // the first attempt fails

	exp, err := stdouttrace.New(stdouttrace.WithWriter(out), stdouttrace.WithPrettyPrint())
	if err != nil {
		return err
	}
	// In production: an OTLP exporter behind sdktrace.WithBatcher, and otel.SetTracerProvider(tp) with a
	// zero ampotel.Config. A syncer exports each span as it ends, which suits a demonstration.
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	rc := client.DefaultRetryConfig()
	rc.InitialInterval = 50 * time.Millisecond // a short wait, for the demonstration
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey), client.WithRetryConfig(rc),
		ampotel.Instrument(ampotel.Config{TracerProvider: tp}))
	if err != nil {
		return err
	}
	if _, err := c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: conn.ID}); err != nil {
		return err
	}
	for i, r := range srv.Requests() {
		fmt.Fprintf(out, "attempt %d sent traceparent %s\n", i+1, r.Header.Get("Traceparent"))
	}
	return nil
}
