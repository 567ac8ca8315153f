package ampotel_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	ampotel "github.com/ampersand-sdk/ampersand-go/otel"
	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// A call that the server answers 503 and then 200: one span for the call, one per attempt under it.
func ExampleInstrument() {
	srv := amptest.NewServer()
	defer srv.Close()
	conn, err := srv.SeedConnection("my-project", client.GenerateConnectionParams{
		Provider: "hubspot", GroupRef: "group-1", ConsumerRef: "consumer-1", APIKey: "pat-na1-example",
	})
	if err != nil {
		log.Fatal(err)
	}
	srv.InjectFault(amptest.OpGetConnection, amptest.Fault{Status: 503})

	rec := tracetest.NewSpanRecorder() // in production: an exporter, see Example_stdout
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	rc := client.DefaultRetryConfig()
	rc.InitialInterval = 10 * time.Millisecond
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey), client.WithRetryConfig(rc),
		ampotel.Instrument(ampotel.Config{TracerProvider: tp}))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{
		ProjectIDOrName: "my-project", ConnectionID: conn.ID,
	}); err != nil {
		log.Fatal(err)
	}

	spans := rec.Ended() // the attempts end first, then the call
	call := spans[len(spans)-1]
	for _, s := range spans {
		parent := "root"
		if s.Parent().SpanID() == call.SpanContext().SpanID() {
			parent = "child of " + call.Name()
		}
		fmt.Printf("%s %q (%s)\n", s.SpanKind(), s.Name(), parent)
		for _, kv := range s.Attributes() {
			switch kv.Key {
			case "url.full", "server.port", "server.address": // the fake's random port
			default:
				fmt.Printf("  %s=%s\n", kv.Key, kv.Value.String())
			}
		}
		for _, e := range s.Events() {
			fmt.Printf("  event %s\n", e.Name)
		}
	}
	// Output:
	// client "GET /projects/{projectIdOrName}/connections/{connectionId}" (child of getConnection)
	//   http.request.method=GET
	//   url.template=/v1/projects/{projectIdOrName}/connections/{connectionId}
	//   ampersand.operation=getConnection
	//   http.response.status_code=503
	//   error.type=503
	// client "GET /projects/{projectIdOrName}/connections/{connectionId}" (child of getConnection)
	//   http.request.method=GET
	//   url.template=/v1/projects/{projectIdOrName}/connections/{connectionId}
	//   ampersand.operation=getConnection
	//   http.request.resend_count=1
	//   http.response.status_code=200
	// internal "getConnection" (root)
	//   ampersand.operation=getConnection
	//   ampersand.project=my-project
	//   ampersand.attempts=2
	//   event ampersand.retry
}

// Wiring an exporter: every call of the client is traced to standard output (in production, an OTLP
// exporter and a batching span processor). It is compiled, not run: its output has timestamps and random IDs.
func Example_stdout() {
	exp, err := stdouttrace.New(stdouttrace.WithWriter(os.Stdout), stdouttrace.WithPrettyPrint())
	if err != nil {
		log.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})

	c, err := client.New(ampotel.Instrument(ampotel.Config{})) // the global providers and propagator
	if err != nil {
		log.Fatal(err)
	}
	conns, err := c.Connections.List(context.Background(), client.ListConnectionsRequest{ProjectIDOrName: "my-project"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(conns), "connections")
}
