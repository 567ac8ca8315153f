package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// outcome is how one attempt ended.
type outcome struct {
	err       error // nil: success, the result is decoded
	final     bool  // stop now whatever the retry policy says (success, decode error, the call's end)
	resp      *http.Response
	problem   *Problem
	timedOut  bool
	maybeSent bool
}

// limit says which deadline an attempt's context carries beyond the caller's.
type limit int

const (
	noLimit      limit = iota
	attemptLimit       // WithTimeout
	callLimit          // RetryConfig.MaxElapsedTime
)

// attemptContext returns the context of an attempt: the caller's, bounded by the per-attempt timeout and
// the call's MaxElapsedTime, whichever ends first (none is added when the caller's deadline comes earlier).
// Its cancel function also cuts the reading of a body's tail (see bodyReader.headCopy).
func (r *run) attemptContext(ctx context.Context) (context.Context, context.CancelFunc, limit) {
	var dl time.Time
	why := noLimit
	if r.cfg.timeout > 0 {
		dl, why = time.Now().Add(r.cfg.timeout), attemptLimit
	}
	if !r.deadline.IsZero() && !r.op.streaming && (dl.IsZero() || r.deadline.Before(dl)) {
		dl, why = r.deadline, callLimit
	}
	if cdl, ok := ctx.Deadline(); dl.IsZero() || ok && !cdl.After(dl) {
		actx, cancel := context.WithCancel(ctx)
		return actx, cancel, noLimit
	}
	actx, cancel := context.WithDeadline(ctx, dl)
	return actx, cancel, why
}

// attempt sends one attempt and reads its reply. A panic or runtime.Goexit in what it runs (All's loop body,
// middleware, the HTTP client) goes on unchanged, but ends the call for the hooks first: the call ends however
// it is left.
func (r *run) attempt(ctx context.Context, n int) outcome {
	returned := false
	defer func() {
		if !returned {
			r.callEnd(ctx, errAbandoned)
		}
	}()
	out := r.send(ctx, n)
	returned = true
	return out
}

// errAbandoned is the error CallEnd hooks see for a call left by a panic or runtime.Goexit.
var errAbandoned = errors.New("ampersand: the call was abandoned by a panic or runtime.Goexit")

// send is attempt without its guard.
func (r *run) send(ctx context.Context, n int) outcome {
	cfg := r.cfg
	actx, cancel, lim := r.attemptContext(ctx)
	defer cancel()
	var trace *sendTrace
	if !r.idempotent {
		trace = &sendTrace{}
		actx = httptrace.WithClientTrace(actx, trace.clientTrace())
	}
	req, err := r.request(actx, n)
	if err != nil {
		return outcome{err: err, final: true}
	}

	began := time.Now()
	cfg.logRequest(ctx, r.op.id, req, n)
	resp, err := cfg.send(req)
	if err == nil && resp == nil { // a broken HTTPDoer; net/http never does this
		err = errors.New("the HTTP client returned neither a response nor an error")
	}
	if err == nil && resp.Body == nil {
		resp.Body = http.NoBody
	}
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		return r.transportFailure(ctx, actx, lim, n, err, trace == nil || trace.maybeSent(err))
	}
	// The body is closed without draining what is left: a drain could wait on a server that trickles. Every
	// body the SDK decodes is read to its end, so its connection is reused anyway.
	defer resp.Body.Close()
	cfg.logResponse(ctx, r.op.id, resp, n, time.Since(began))

	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return r.success(ctx, actx, cancel, lim, n, resp)
	case resp.StatusCode < 200:
		// An informational status that net/http handed over as final (101 Switching Protocols): the body may
		// be the raw connection, which nothing bounds. It is never read.
		return outcome{err: newAPIError(r.op.id, resp, nil, cfg.key), resp: resp}
	}
	return r.failure(ctx, actx, lim, n, resp)
}

// request returns the attempt's copy of the base request. With request editors or middleware it is a deep
// copy, so that no change carries over to the next attempt; every attempt after the first gets a fresh body.
func (r *run) request(actx context.Context, n int) (*http.Request, error) {
	var req *http.Request
	if len(r.cfg.editors) > 0 || len(r.cfg.middleware) > 0 {
		req = r.base.Clone(actx)
	} else {
		req = r.base.WithContext(actx)
	}
	if n > 1 && r.base.GetBody != nil {
		body, err := r.base.GetBody()
		if err != nil {
			return nil, fmt.Errorf("ampersand: %s: rewinding the request body: %w", r.op.id, err)
		}
		req.Body = body
	}
	for _, edit := range r.cfg.editors {
		if err := edit(actx, req); err != nil {
			return nil, fmt.Errorf("ampersand: %s: request editor: %w", r.op.id, err)
		}
	}
	return req, nil
}

// ended returns the error of a call whose context ended during attempt n, keeping the previous attempt's
// error reachable with errors.As.
func (r *run) ended(ctx context.Context, n int) error {
	if r.last != nil {
		return fmt.Errorf("ampersand: %s: %w during attempt %d; previous attempt: %w", r.op.id, ctx.Err(), n, r.last)
	}
	return fmt.Errorf("ampersand: %s: %w during attempt %d", r.op.id, ctx.Err(), n)
}

// transportFailure turns an error from the HTTP client (or from reading a body) into an outcome.
func (r *run) transportFailure(ctx, actx context.Context, lim limit, n int, err error, maybeSent bool) outcome {
	if ctx.Err() != nil { // the caller's context ended: not a connection problem, and not retried
		return outcome{err: r.ended(ctx, n), final: true}
	}
	timedOut := errors.Is(actx.Err(), context.DeadlineExceeded)
	if timedOut && lim == callLimit {
		err = fmt.Errorf("the call's MaxElapsedTime of %s ran out: %w", r.cfg.retry.MaxElapsedTime, err)
	}
	connErr := &ConnectionError{Operation: r.op.id, Timeout: timedOut, Err: cleanCause(err, r.cfg.key), key: r.cfg.key}
	if timedOut && lim == callLimit {
		out := outcome{err: connErr, final: true}
		if r.last != nil {
			out.err = fmt.Errorf("%w; previous attempt: %w", connErr, r.last)
			setAttempts(connErr, n)
		}
		return out
	}
	return outcome{err: connErr, timedOut: timedOut, maybeSent: maybeSent}
}

// success decodes a 2xx body.
func (r *run) success(ctx, actx context.Context, cancel context.CancelFunc, lim limit, n int, resp *http.Response) outcome {
	if r.decode == nil {
		return outcome{resp: resp, final: true}
	}
	max := r.cfg.maxBodyBytes
	if max <= 0 {
		max = r.op.maxBody
	}
	body := newBodyReader(resp.Body, max)
	body.ctx = actx
	defer body.release()
	r.rep = report{op: r.op.id, key: r.cfg.key, strict: r.cfg.strict} // an earlier attempt's issues are gone
	// The length is the server's word, capped.
	err := r.decode(reply{body: body, length: min(resp.ContentLength, max), server: r.cfg.server, rep: &r.rep})
	if err == nil {
		err = r.rep.strictError()
	}
	if err == nil {
		return outcome{resp: resp, final: true}
	}
	var yielded *afterYield
	if errors.As(err, &yielded) { // results were handed out: the call cannot be retried behind the caller's back
		err = yielded.err
	}
	if body.readErr != nil { // the reply broke off: like a connection error, after the server acted
		r.rep.issues = nil
		out := r.transportFailure(ctx, actx, lim, n, body.readErr, true)
		out.resp, out.final = resp, out.final || yielded != nil
		return out
	}
	return outcome{resp: resp, final: true, err: &DecodeError{Operation: r.op.id, StatusCode: resp.StatusCode,
		Pointer: r.cfg.key.redact(pointerOf(err)), Body: r.cfg.key.redactBytes(body.headCopy(cancel)), Issues: r.rep.issues,
		Err: cleanCause(err, r.cfg.key), key: r.cfg.key}}
}

// pointerOf returns the JSON pointer a decode error names, if any.
func pointerOf(err error) string {
	var p *decodeProblem
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &p):
		return p.pointer
	case errors.As(err, &syn):
		return string(syn.JSONPointer)
	}
	return ""
}

// failure reads the body of a reply that is not a success (at most 64 KiB) into an *APIError.
func (r *run) failure(ctx, actx context.Context, lim limit, n int, resp *http.Response) outcome {
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	apiErr := newAPIError(r.op.id, resp, raw, r.cfg.key)
	apiErr.redirect = refusedRedirect(resp, r.cfg.server.origin)
	if readErr != nil {
		// The call's end while the body was read: its error says so (errors.Is finds the context's error)
		// and still holds the reply, truncated (errors.As finds the *APIError).
		switch {
		case ctx.Err() != nil:
			setAttempts(apiErr, n)
			return outcome{err: fmt.Errorf("ampersand: %s: %w while reading the error reply: %w", r.op.id, ctx.Err(), apiErr), final: true}
		case lim == callLimit && actx.Err() != nil:
			setAttempts(apiErr, n)
			return outcome{err: fmt.Errorf("ampersand: %s: the call's MaxElapsedTime of %s ran out while reading the error reply: %w: %w",
				r.op.id, r.cfg.retry.MaxElapsedTime, context.DeadlineExceeded, apiErr), final: true}
		}
	}
	return outcome{err: apiErr, resp: resp, problem: apiErr.Problem}
}

// sendTrace records how far an attempt got, to tell whether a failed non-idempotent request may have
// reached the server.
type sendTrace struct {
	getConn, gotConn atomic.Bool // the transport may call hooks from its own goroutines
}

func (t *sendTrace) clientTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn: func(string) { t.getConn.Store(true) },
		GotConn: func(httptrace.GotConnInfo) { t.gotConn.Store(true) },
	}
}

// maybeSent reports whether the request may have reached the server: false only when the connection was
// never established (a dial or DNS failure, or a traced attempt that never got a connection).
func (t *sendTrace) maybeSent(err error) bool {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &opErr) && (opErr.Op == "dial" || opErr.Op == "proxyconnect"):
		return false
	case errors.As(err, &dnsErr):
		return false
	case t.getConn.Load() && !t.gotConn.Load():
		return false
	}
	return true
}
