package ampotel

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// The span kind options, made once.
var (
	internalKind = trace.WithSpanKind(trace.SpanKindInternal)
	clientKind   = trace.WithSpanKind(trace.SpanKindClient)
)

// stateKey is the context key of a call's state: one per instrumentation, so that two Instrument options
// on one call keep apart.
type stateKey struct{ in *instrumentation }

// attemptKey marks the context of an attempt this instrumentation traces, so that the same option given
// twice (to the client and to the call) traces it once.
type attemptKey struct{ in *instrumentation }

// callState is what an instrumentation knows of one call, from CallStart to CallEnd. The hooks run one after
// the other in the call's goroutine; the middleware may not (a middleware outside it may send attempts from
// goroutines of its own), hence the atomic counter.
type callState struct {
	call     *client.Call
	span     trace.Span
	attempts atomic.Int64 // the attempts the middleware saw
	retried  int          // the attempt of the last retry event
	ended    bool
}

// state returns the state of call in ctx, or nil.
func (in *instrumentation) state(ctx context.Context, call *client.Call) *callState {
	if st, ok := ctx.Value(stateKey{in}).(*callState); ok && st.call == call {
		return st
	}
	return nil
}

// callStart starts the call's span (Hooks.CallStart).
func (in *instrumentation) callStart(ctx context.Context, call *client.Call) context.Context {
	if in.state(ctx, call) != nil { // the same option given twice: the first traces the call
		return nil
	}
	ctx, span := in.tracer.Start(ctx, call.Operation,
		internalKind,
		trace.WithTimestamp(call.Start),
		trace.WithAttributes(OperationKey.String(call.Operation), ProjectKey.String(call.Project)))
	return context.WithValue(ctx, stateKey{in}, &callState{call: call, span: span})
}

// retry adds a retry event to the call's span (Hooks.Retry).
func (in *instrumentation) retry(ctx context.Context, call *client.Call, r client.Retry) {
	st := in.state(ctx, call)
	if st == nil || r.Attempt <= st.retried {
		return
	}
	st.retried = r.Attempt
	if !st.span.IsRecording() {
		return
	}
	attrs := []attribute.KeyValue{
		RetryAttemptKey.Int(r.Attempt),
		RetryWaitKey.Float64(r.Wait.Seconds()),
		RetryReasonKey.String(r.Reason),
	}
	if et := errorType(r.Err); et != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(et))
	}
	st.span.AddEvent(RetryEventName, trace.WithAttributes(attrs...))
}

// callEnd ends the call's span and records the call's metrics (Hooks.CallEnd).
func (in *instrumentation) callEnd(ctx context.Context, call *client.Call, err error) {
	st := in.state(ctx, call)
	if st == nil || st.ended {
		return
	}
	st.ended = true
	et := errorType(err)
	class := statusClass(200)
	if err != nil {
		var apiErr *client.APIError
		status := 0
		if errors.As(err, &apiErr) {
			status = apiErr.StatusCode
		}
		class = statusClass(status)
	}
	if span := st.span; span.IsRecording() {
		span.SetAttributes(AttemptsKey.Int(call.Attempts))
		recordIssues(span, call.DecodeIssues)
		if et != "" {
			span.SetAttributes(semconv.ErrorTypeKey.String(et))
			span.SetStatus(codes.Error, et)
		}
	}
	st.span.End()
	in.metrics.recordCall(ctx, call.Operation, time.Since(call.Start), call.Attempts, class, et)
}

// recordIssues records a call's DecodeIssues on its span.
func recordIssues(span trace.Span, issues []client.DecodeIssue) {
	if len(issues) == 0 {
		return
	}
	span.SetAttributes(DecodeIssuesKey.Int(len(issues)))
	for _, is := range issues[:min(len(issues), MaxDecodeIssueEvents)] {
		span.AddEvent(DecodeIssueEventName, trace.WithAttributes(
			DecodeIssuePointerKey.String(is.Pointer), DecodeIssueKindKey.String(string(is.Kind))))
	}
}

// attemptAttrs are the attributes of an attempt that its metric has too.
type attemptAttrs struct {
	method, host, operation string
	port, status            int
	errType                 string
}

// middleware traces one attempt (client.Middleware): a CLIENT span, child of the call's, around next, and
// its trace context in the request's headers. The request is the attempt's own copy: setting headers on it
// is safe.
func (in *instrumentation) middleware(req *http.Request, next client.MiddlewareNext) (*http.Response, error) {
	ctx := req.Context()
	if ctx.Value(attemptKey{in}) != nil { // the same option given twice: the outer one traces the attempt
		return next(req)
	}
	a := attemptAttrs{method: methodValue(req.Method), host: req.URL.Hostname(), port: serverPort(req.URL)}
	attrs := make([]attribute.KeyValue, 0, 7)
	attrs = append(attrs,
		semconv.HTTPRequestMethodKey.String(a.method),
		semconv.ServerAddressKey.String(a.host),
		semconv.ServerPortKey.Int(a.port))
	name := a.method
	// Without the call's state (a hook of another package replaced the call's context) neither the route nor
	// the attempt's number is known: the span is named after the method and has no URL, which would hold IDs.
	if st, ok := ctx.Value(stateKey{in}).(*callState); ok {
		a.operation = st.call.Operation
		t := in.targets.get(a.method, req.URL, st.call.Route)
		name = t.name
		attrs = append(attrs, semconv.URLFullKey.String(t.full), semconv.URLTemplateKey.String(t.template),
			OperationKey.String(a.operation))
		if n := st.attempts.Add(1); n > 1 {
			attrs = append(attrs, semconv.HTTPRequestResendCountKey.Int64(n-1))
		}
	}
	ctx, span := in.tracer.Start(ctx, name, clientKind, trace.WithAttributes(attrs...))
	in.textMapPropagator().Inject(ctx, propagation.HeaderCarrier(req.Header))
	req = req.WithContext(context.WithValue(ctx, attemptKey{in}, true))

	start := time.Now()
	resp, err := next(req)
	d := time.Since(start)

	description := ""
	switch {
	case err != nil:
		a.errType = errorType(err)
		description = a.errType
	case resp != nil && resp.StatusCode >= 400:
		// The conventions: the status code is error.type, and the status description stays empty when the
		// status derives from the status code.
		a.errType = statusType(resp.StatusCode)
	}
	if resp != nil {
		a.status = resp.StatusCode
	}
	if span.IsRecording() { // else the attributes would be built for nothing
		if a.status != 0 {
			span.SetAttributes(semconv.HTTPResponseStatusCodeKey.Int(a.status))
		}
		if a.errType != "" {
			span.SetAttributes(semconv.ErrorTypeKey.String(a.errType))
			span.SetStatus(codes.Error, description)
		}
	}
	span.End()
	in.metrics.recordAttempt(ctx, d, &a)
	return resp, err
}
