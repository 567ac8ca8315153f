// Package ampotel instruments the Ampersand Go SDK (package
// github.com/ampersand-sdk/ampersand-go/pkg/client) with OpenTelemetry traces and metrics, following the
// OpenTelemetry HTTP client semantic conventions.
//
// It lives in a module of its own, github.com/ampersand-sdk/ampersand-go/otel, so that programs that do not
// use OpenTelemetry never build it: package client does not import OpenTelemetry.
//
//	c, err := client.New(ampotel.Instrument(ampotel.Config{
//		TracerProvider: tp, // nil: otel.GetTracerProvider()
//		MeterProvider:  mp, // nil: otel.GetMeterProvider()
//	}))
//	if err != nil { … }
//	conn, err := c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: id})
//
// Instrument may also be given to a single call, to instrument that call only:
//
//	conn, err := c.Connections.Get(ctx, req, ampotel.Instrument(ampotel.Config{}))
//
// # Traces
//
// Each call is one span of kind INTERNAL named after its operation ("getConnection"), a child of the span in
// the call's context, with the attributes ampersand.operation and ampersand.project and, when it ends,
// ampersand.attempts. Each retry decision adds an event ampersand.retry (RetryEventName) to it, with the
// failed attempt's number, the wait before the next one in seconds, the retry policy's reason (such as
// "status 503; server asked to wait 2s") and the failed attempt's error.type.
//
// Each attempt (each HTTP request sent, retries included) is one span of kind CLIENT, a child of the call's
// span, named "{method} {route}" where route is the operation's path template, such as
// "GET /projects/{projectIdOrName}/connections/{connectionId}". It has the HTTP client attributes
// http.request.method, url.full, url.template, server.address, server.port, http.response.status_code (when
// a reply came), http.request.resend_count (from the second attempt on: 1, 2, …), error.type (on failure)
// and ampersand.operation. The span starts when the request is handed to the HTTP client and ends when the
// reply's status line and headers have arrived (or the request failed): reading the body is not part of it,
// it is part of the call's span. The attempt's trace context is sent in the request's headers (W3C
// traceparent by default, see Config.Propagators), and is the context of the request given to the HTTP
// client, so spans of an instrumented transport (otelhttp) nest under it.
//
// A reply of status 400 or more and a request that got no reply set the attempt span's status to Error (4xx
// included, as the conventions require for CLIENT spans); a call that fails sets the call span's status to
// Error. error.type is then one of a small fixed set of values, see the section below.
//
// # Metrics
//
// Three histograms, all with attributes of bounded cardinality:
//
//   - http.client.request.duration (seconds, the conventions' buckets): per attempt, with
//     http.request.method, server.address, server.port, http.response.status_code (when a reply came),
//     error.type (on failure) and ampersand.operation.
//   - ampersand.client.call.duration (seconds, the same buckets): per call, retries and waits included,
//     with ampersand.operation, ampersand.status_class and error.type (on failure).
//   - ampersand.client.call.attempts ({attempt}, buckets 1, 2, 3, 4, 5, 7, 10): the attempts each call
//     made, with ampersand.operation.
//
// ampersand.status_class is the class of the last reply's status: "2xx" for a call that succeeded, "4xx" or
// "5xx" (or "3xx", a redirect the SDK refused to follow) for one that failed with an *client.APIError — also
// when the call then ended for another reason, such as its context being cancelled while waiting to retry —
// and "none" for one that never got a reply. Project IDs and names are on spans only, never on metrics.
//
// # error.type
//
// error.type is derived from an error by one rule (the first that applies), for attempts and calls alike:
//
//   - "context_canceled": the context was cancelled.
//   - "timeout": a deadline passed — the context's, the attempt's (client.WithTimeout) or the call's
//     (RetryConfig.MaxElapsedTime) — or the transport reported a timeout.
//   - the status code as a string ("404", "503"): an *client.APIError, that is a reply of an error status;
//     for an attempt, any reply of status 400 or more.
//   - "decode_error": a *client.DecodeError (a success reply whose body did not decode).
//   - "validation_error": a *client.ValidationError (bad input; no request was sent).
//   - "connection_error": a *client.ConnectionError, or a transport error (*url.Error, net.Error): no reply.
//   - "_OTHER": anything else.
//
// # What is never recorded
//
// No span, event, status description or metric holds the API key, a credential or a connection ID (nor any
// other path or query value of a request). url.full is built from the request's scheme and host and the
// operation's path template, without a query: "https://api.withampersand.com/v1/projects/{projectIdOrName}/connections/{connectionId}".
// Errors are never recorded with Span.RecordError and their messages never become a status description:
// a message of the API can name a connection ("connection "conn-123" not found"); error.type stands in.
//
// A call's span lasts until the call returns: for Connections.All, until the iteration ends (the body is
// decoded as the loop runs), so it includes the time the loop's body takes.
//
// # Cost
//
// A client without Instrument does no work for tracing. An instrumented call makes one span for the call and
// one per attempt, and records two histogram points per call plus one per attempt; with no-op providers it
// costs 18 small allocations per Get, and builds no metric attributes (make bench-otel; the figures are in
// the repository's BENCHMARKS.md).
package ampotel
