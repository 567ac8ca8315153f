package client

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// The pipeline of one call: run sends attempts until one succeeds or the retry policy (decide, with the
// client's retry budget), MaxElapsedTime or the context ends the call; each attempt ends in one outcome.

// run is the state of one call.
type run struct {
	cfg        *config
	op         *operation
	base       *http.Request // every attempt sends a copy
	decode     func(reply) error
	idempotent bool // the call may be repeated safely: op.idempotent, or WithRetryNonIdempotent
	start      time.Time
	deadline   time.Time // start + MaxElapsedTime, which bounds each attempt; zero: none (All's iteration has none)
	last       error     // the error of the previous attempt
	spent      int       // retry budget tokens taken by this call's retries
	call       *Call     // what hooks are told; nil without hooks
	rep        report    // the issues of the last success body
}

// The shared value of the User-Agent header every request carries.
var userAgentHeader = []string{userAgent}

// run runs one call of op with req (built once) and decode (nil: no success body is read).
func (cfg *config) run(ctx context.Context, op *operation, project string, req *http.Request, decode func(reply) error) error {
	// Header values are shared, read-only slices: setting them allocates nothing. Attempts that run request
	// editors or middleware get a deep copy of the request first.
	req.Header["X-Api-Key"] = cfg.key().header
	req.Header["User-Agent"] = userAgentHeader
	req.Header["Accept"] = op.accept
	for k, v := range cfg.header {
		req.Header[k] = v
	}
	r := &run{cfg: cfg, op: op, base: req, decode: decode, idempotent: op.idempotent || cfg.retryUnsafe, start: time.Now()}
	if cfg.retry.Strategy == RetryBackoff && cfg.retry.MaxElapsedTime > 0 && !op.streaming {
		r.deadline = r.start.Add(cfg.retry.MaxElapsedTime)
	}
	ctx = r.callStart(ctx, project)
	// A panic or runtime.Goexit in what the loop runs (All's loop body, middleware, the HTTP client, a hook)
	// goes on unchanged, but ends the call first: the call ends however it is left.
	err := errAbandoned
	defer func() { r.end(ctx, err) }()
	err = r.loop(ctx)
	return err
}

// errAbandoned is the error CallEnd hooks see for a call left by a panic or runtime.Goexit.
var errAbandoned = errors.New("ampersand: the call was abandoned by a panic or runtime.Goexit")

func (r *run) loop(ctx context.Context) error {
	for n := 1; ; n++ {
		if r.call != nil {
			r.call.Attempts = n
		}
		o := (&try{run: r, n: n, ctx: ctx}).send()
		if r.cfg.responseInto != nil && o.resp != nil {
			*r.cfg.responseInto = o.resp
		}
		if o.err == nil {
			r.cfg.retry.succeeded(n, r.spent)
			return nil
		}
		if o.final {
			return o.err
		}
		r.last = o.err
		o.n, o.idempotent = n, r.idempotent
		o.now = time.Now()
		o.elapsed, o.random = o.now.Sub(r.start), rand.Float64()
		o.deadline, _ = ctx.Deadline()
		d := decide(r.cfg.retry.RetryConfig, o)
		if d.retry && !r.cfg.retry.take(d.cost, &r.spent) {
			r.cfg.logDecision(ctx, r.op.id, n, decision{reason: d.reason + ", but the retry budget is exhausted"}, o.err)
			return fmt.Errorf("%w; not retried: %w (repeated failures used up this client's retries; it refills "+
				"as calls succeed, see RetryConfig.BudgetCapacity)", o.err, ErrRetryBudgetExhausted)
		}
		r.cfg.logDecision(ctx, r.op.id, n, d, o.err)
		if !d.retry {
			return o.err
		}
		r.hookRetry(ctx, n, d, o.err)
		select { // since Go 1.23 a timer nothing refers to is collected, stopped or not
		case <-ctx.Done():
			return fmt.Errorf("ampersand: %s: %w while waiting to retry; last attempt: %w", r.op.id, ctx.Err(), r.last)
		case <-time.After(d.wait):
		}
	}
}

// try is one attempt in progress.
type try struct {
	*run
	n      int
	ctx    context.Context // the caller's
	actx   context.Context // the attempt's: the caller's, bounded by WithTimeout and MaxElapsedTime
	byCall bool            // actx's deadline is the call's MaxElapsedTime
}

func (a *try) send() outcome {
	cfg := a.cfg
	var cancel context.CancelFunc
	a.actx, cancel = a.attemptContext()
	defer cancel()
	var trace *sendTrace
	if !a.idempotent { // whether the request may have reached the server matters
		trace = &sendTrace{}
		a.actx = httptrace.WithClientTrace(a.actx, trace.clientTrace())
	}
	req, err := a.request()
	if err != nil {
		return outcome{err: err, final: true}
	}
	began := time.Now()
	cfg.logRequest(a.ctx, a.op.id, req, a.n)
	resp, err := cfg.send(req)
	if err == nil && resp == nil { // a broken HTTPDoer; net/http never does this
		err = errors.New("the HTTP client returned neither a response nor an error")
	}
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		return a.transportFailure(err, trace == nil || trace.maybeSent(err))
	}
	if resp.Body == nil {
		resp.Body = http.NoBody
	}
	// The body is closed without draining what is left: a drain could wait on a server that trickles. Every
	// body the SDK decodes is read to its end, so its connection is reused anyway.
	defer resp.Body.Close()
	cfg.logResponse(a.ctx, a.op.id, resp, a.n, time.Since(began))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return a.success(resp, cancel)
	}
	return a.failure(resp)
}

// attemptContext returns the attempt's context: the caller's, bounded by the per-attempt timeout and the
// call's MaxElapsedTime, whichever ends first (none is added when the caller's deadline comes earlier). Its
// cancel function also cuts the reading of a body's tail (see bodyReader.headCopy).
func (a *try) attemptContext() (context.Context, context.CancelFunc) {
	var dl time.Time
	if a.cfg.timeout > 0 {
		dl = time.Now().Add(a.cfg.timeout)
	}
	if !a.deadline.IsZero() && (dl.IsZero() || a.deadline.Before(dl)) {
		dl, a.byCall = a.deadline, true
	}
	if cdl, ok := a.ctx.Deadline(); dl.IsZero() || ok && !cdl.After(dl) {
		a.byCall = false
		return context.WithCancel(a.ctx)
	}
	return context.WithDeadline(a.ctx, dl)
}

// request returns the attempt's copy of the base request. With request editors or middleware it is a deep
// copy, so that no change carries over to the next attempt; every attempt after the first gets a fresh body.
func (a *try) request() (*http.Request, error) {
	var req *http.Request
	if len(a.cfg.editors) > 0 || len(a.cfg.middleware) > 0 {
		req = a.base.Clone(a.actx)
	} else {
		req = a.base.WithContext(a.actx)
	}
	if a.n > 1 && a.base.GetBody != nil {
		body, err := a.base.GetBody()
		if err != nil {
			return nil, fmt.Errorf("ampersand: %s: rewinding the request body: %w", a.op.id, err)
		}
		req.Body = body
	}
	for _, edit := range a.cfg.editors {
		if err := edit(a.actx, req); err != nil {
			return nil, fmt.Errorf("ampersand: %s: request editor: %w", a.op.id, err)
		}
	}
	return req, sendable(req)
}

// sendable refuses, before any I/O, a request net/http would refuse to send (a request editor may have made
// it so), which no retry could fix: a scheme other than http or https, or a header that is not valid HTTP.
func sendable(req *http.Request) error {
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return &ValidationError{Field: "request URL", Reason: fmt.Sprintf("the scheme %q is neither http nor https", req.URL.Scheme)}
	}
	for name, values := range req.Header {
		if name == "" || strings.ContainsFunc(name, notToken) {
			return &ValidationError{Field: "request header", Reason: fmt.Sprintf("%q is not a valid header name", name)}
		}
		for _, v := range values {
			if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
				return &ValidationError{Field: "request header", Reason: fmt.Sprintf("the value of %s holds a control character", name)}
			}
		}
	}
	return nil
}

// notToken reports whether r may not appear in a header name (RFC 9110 §5.6.2 tchar).
func notToken(r rune) bool {
	return r <= ' ' || r >= 0x7f || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r)
}

// transportFailure is the outcome of an error from the HTTP client (or from reading a body).
func (a *try) transportFailure(err error, maybeSent bool) outcome {
	if a.ctx.Err() != nil { // the caller's context ended: not a connection problem, and not retried
		return outcome{err: a.withLast(fmt.Errorf("ampersand: %s: %w during attempt %d", a.op.id, a.ctx.Err(), a.n)), final: true}
	}
	timedOut := errors.Is(a.actx.Err(), context.DeadlineExceeded)
	callOver := timedOut && a.byCall // the call's MaxElapsedTime ran out: nothing is retried
	if callOver {
		err = fmt.Errorf("the call's MaxElapsedTime of %s ran out: %w", a.cfg.retry.MaxElapsedTime, err)
	}
	connErr := &ConnectionError{Operation: a.op.id, Attempts: a.n, Timeout: timedOut, Err: cleanCause(err, a.cfg.key), key: a.cfg.key}
	if callOver {
		return outcome{err: a.withLast(connErr), final: true}
	}
	return outcome{err: connErr, timedOut: timedOut, maybeSent: maybeSent}
}

// withLast returns the error that ends the call during an attempt: err, with the previous attempt's error,
// if any, still reachable with errors.As.
func (r *run) withLast(err error) error {
	if r.last == nil {
		return err
	}
	return fmt.Errorf("%w; previous attempt: %w", err, r.last)
}

// success decodes a 2xx body. cancel ends the attempt's context (it cuts the tail of a broken body).
func (a *try) success(resp *http.Response, cancel context.CancelFunc) outcome {
	if a.decode == nil {
		return outcome{resp: resp, final: true}
	}
	limit := cmp.Or(a.cfg.maxBodyBytes, a.op.maxBody) // WithMaxResponseBytes's (never negative), else the operation's
	body := newBodyReader(resp.Body, limit)
	body.ctx = a.actx
	defer body.release()
	a.rep = report{op: a.op.id, key: a.cfg.key, strict: a.cfg.strict} // an earlier attempt's issues are gone
	handedOut := false
	err := a.decode(reply{body: body, length: min(resp.ContentLength, limit), server: a.cfg.server, rep: &a.rep, handedOut: &handedOut})
	if err == nil {
		err = a.rep.strictError()
	}
	if err == nil {
		return outcome{resp: resp, final: true}
	}
	if body.readErr != nil { // the reply broke off: like a connection error, after the server acted
		a.rep.issues = nil
		o := a.transportFailure(body.readErr, true)
		o.resp, o.final = resp, o.final || handedOut // results were handed out: never retried behind the caller's back
		return o
	}
	return outcome{resp: resp, final: true, err: &DecodeError{Operation: a.op.id, StatusCode: resp.StatusCode,
		Pointer: a.cfg.key.redact(pointerOf(err)), Body: a.cfg.key.redactBytes(body.headCopy(cancel)), Issues: a.rep.issues,
		Err: cleanCause(err, a.cfg.key), key: a.cfg.key}}
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

// failure reads the body of a reply that is not a success (at most 64 KiB) into an *APIError. The body of an
// informational status that net/http handed over as final (101 Switching Protocols) may be the raw
// connection, which nothing bounds: it is never read.
func (a *try) failure(resp *http.Response) outcome {
	var raw []byte
	var readErr error
	if resp.StatusCode >= 200 {
		raw, readErr = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	}
	apiErr := newAPIError(a.op.id, resp, raw, a.cfg.key, a.n)
	apiErr.redirect = refusedRedirect(resp, a.cfg.server.origin)
	if readErr != nil {
		// The call's end while the body was read: its error says so (errors.Is finds the context's error)
		// and still holds the reply, truncated (errors.As finds the *APIError).
		switch {
		case a.ctx.Err() != nil:
			return outcome{err: fmt.Errorf("ampersand: %s: %w while reading the error reply: %w", a.op.id, a.ctx.Err(), apiErr), final: true}
		case a.byCall && a.actx.Err() != nil:
			return outcome{err: fmt.Errorf("ampersand: %s: the call's MaxElapsedTime of %s ran out while reading the error reply: %w: %w",
				a.op.id, a.cfg.retry.MaxElapsedTime, context.DeadlineExceeded, apiErr), final: true}
		}
	}
	o := outcome{err: apiErr, resp: resp, status: resp.StatusCode, header: resp.Header}
	if apiErr.Problem != nil {
		o.retryable, o.retryAfter = apiErr.Problem.Retryable, apiErr.Problem.RetryAfter
	}
	return o
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
