package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ampersand-sdk/ampersand-go/gen"
)

// opKind identifies an API operation.
type opKind uint8

const (
	opList opKind = iota
	opGenerate
	opGet
	opUpdate
	opDelete
)

// opInfo holds what the pipeline needs to know of each operation.
var opInfo = [...]struct {
	id         string // the operationId, used in errors and logs
	idempotent bool
}{
	opList:     {"listConnections", true},
	opGenerate: {"generateConnection", false},
	opGet:      {"getConnection", true},
	opUpdate:   {"updateConnection", true},
	opDelete:   {"deleteConnection", true},
}

// operation is one call: the operation, its validated inputs, and where a 2xx JSON body is decoded (nil
// when the operation has no response body).
type operation struct {
	kind                opKind
	id                  string
	project, connection string
	list                gen.ListConnectionsParams
	get                 gen.GetConnectionParams
	generate            *gen.GenerateConnectionParams
	update              *gen.UpdateConnectionParams
	into                any
}

func newOperation(kind opKind, project, connection string, into any) operation {
	return operation{kind: kind, id: opInfo[kind].id, project: project, connection: connection, into: into}
}

// request builds the operation's request with gen's builder against the server's base URL.
func (op *operation) request(server string) (*http.Request, error) {
	switch op.kind {
	case opList:
		return gen.NewListConnectionsRequest(server, op.project, &op.list)
	case opGenerate:
		return gen.NewGenerateConnectionRequest(server, op.project, *op.generate)
	case opGet:
		return gen.NewGetConnectionRequest(server, op.project, op.connection, &op.get)
	case opUpdate:
		return gen.NewUpdateConnectionRequest(server, op.project, op.connection, *op.update)
	default:
		return gen.NewDeleteConnectionRequest(server, op.project, op.connection)
	}
}

// outcome is how one attempt ended.
type outcome struct {
	err       error // nil: success, the result is decoded
	final     bool  // stop now whatever the retry policy says (success, decode error, cancelled context)
	resp      *http.Response
	problem   *Problem
	timedOut  bool
	maybeSent bool
}

// do runs op: builds the request once, then sends attempts until one succeeds or the retry policy stops.
func (c *Client) do(ctx context.Context, op *operation, opts []Option) error {
	if c == nil || c.cfg.server == nil {
		return &ValidationError{Field: "Client", Reason: "is nil or was not made by client.New"}
	}
	if ctx == nil {
		return &ValidationError{Field: "ctx", Reason: "is nil: pass context.Background() or a request's context"}
	}
	cfg, err := c.forCall(opts)
	if err != nil {
		return err
	}
	req, err := op.request(cfg.server.base)
	if err != nil {
		return fmt.Errorf("ampersand: %s: building the request: %w", op.id, err)
	}
	// Header values are shared, read-only slices: setting them allocates nothing. Attempts that run
	// request editors get a copy of the header first.
	req.Header["X-Api-Key"] = cfg.apiKeyHeader
	req.Header["User-Agent"] = userAgentHeader
	req.Header["Accept"] = acceptHeader
	for k, v := range cfg.header {
		req.Header[k] = v
	}
	idempotent := opInfo[op.kind].idempotent || cfg.retryUnsafe

	start := time.Now()
	var last error
	for n := 1; ; n++ {
		out := cfg.attempt(ctx, op, req, n, idempotent)
		if cfg.responseInto != nil && out.resp != nil {
			*cfg.responseInto = out.resp
		}
		if out.err == nil {
			return nil
		}
		setAttempts(out.err, n)
		if out.final {
			return out.err
		}
		last = out.err

		now := time.Now()
		a := attempt{n: n, elapsed: now.Sub(start), now: now, err: nil, idempotent: idempotent, random: rand.Float64()}
		if out.resp != nil && out.resp.StatusCode >= 300 {
			a.status, a.header = out.resp.StatusCode, out.resp.Header
			if out.problem != nil {
				a.retryable, a.retryAfter = out.problem.Retryable, out.problem.RetryAfter
			}
		} else {
			a.err, a.timedOut, a.maybeSent = out.err, out.timedOut, out.maybeSent
		}
		a.deadline, a.hasDeadline = ctx.Deadline()
		d := decide(cfg.retry, a)
		cfg.logDecision(ctx, op.id, n, d, out.err)
		if !d.retry {
			return out.err
		}
		timer := time.NewTimer(d.wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("ampersand: %s: %w while waiting to retry; last attempt: %w", op.id, ctx.Err(), last)
		case <-timer.C:
		}
	}
}

// attempt sends one attempt and reads its reply.
func (cfg *config) attempt(ctx context.Context, op *operation, base *http.Request, n int, idempotent bool) outcome {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if cfg.timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, cfg.timeout)
	}
	defer cancel()
	var trace *sendTrace
	if !idempotent {
		trace = &sendTrace{}
		actx = httptrace.WithClientTrace(actx, trace.clientTrace())
	}

	req := base.WithContext(actx)
	if n > 1 && base.GetBody != nil {
		body, err := base.GetBody()
		if err != nil {
			return outcome{err: fmt.Errorf("ampersand: %s: rewinding the request body: %w", op.id, err), final: true}
		}
		req.Body = body
	}
	if len(cfg.editors) > 0 {
		req.Header = base.Header.Clone()
		for _, edit := range cfg.editors {
			if err := edit(actx, req); err != nil {
				return outcome{err: fmt.Errorf("ampersand: %s: request editor: %w", op.id, err), final: true}
			}
		}
	}

	began := time.Now()
	cfg.logRequest(ctx, op.id, req, n)
	resp, err := cfg.doer.Do(req)
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
		return cfg.transportFailure(ctx, actx, op, err, trace == nil || trace.maybeSent(err))
	}
	defer closeBody(resp)
	cfg.logResponse(ctx, op.id, resp, n, time.Since(began))

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return cfg.decodeSuccess(ctx, actx, op, resp)
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	apiErr := &APIError{Operation: op.id, StatusCode: resp.StatusCode, Body: body, Header: resp.Header, secret: cfg.apiKeyRef}
	if readErr == nil {
		apiErr.Problem = parseProblem(resp.Header.Get("Content-Type"), body)
	}
	return outcome{err: apiErr, resp: resp, problem: apiErr.Problem}
}

// transportFailure turns an error from the HTTP client into an outcome.
func (cfg *config) transportFailure(ctx, actx context.Context, op *operation, err error, maybeSent bool) outcome {
	if ctx.Err() != nil { // the caller's context ended: not a connection problem, and not retried
		return outcome{err: fmt.Errorf("ampersand: %s: %w", op.id, ctx.Err()), final: true}
	}
	timedOut := errors.Is(actx.Err(), context.DeadlineExceeded)
	return outcome{
		err:       &ConnectionError{Operation: op.id, Timeout: timedOut, Err: err, secret: cfg.apiKeyRef},
		timedOut:  timedOut,
		maybeSent: maybeSent,
	}
}

// decodeSuccess decodes a 2xx body into op.into.
func (cfg *config) decodeSuccess(ctx, actx context.Context, op *operation, resp *http.Response) outcome {
	if op.into == nil {
		return outcome{resp: resp, final: true}
	}
	body := newBodyReader(resp.Body, cfg.maxBodyBytes)
	defer body.release()
	err := decodeBody(body, op.into, min(resp.ContentLength, cfg.maxBodyBytes)) // the length is the server's word
	if err == nil {
		return outcome{resp: resp, final: true}
	}
	if body.readErr != nil { // the reply broke off: like a connection error, after the server acted
		out := cfg.transportFailure(ctx, actx, op, body.readErr, true)
		out.resp = resp
		return out
	}
	return outcome{resp: resp, final: true,
		err: &DecodeError{Operation: op.id, StatusCode: resp.StatusCode, Body: body.headCopy(), Err: err, secret: cfg.apiKeyRef}}
}

// parseProblem decodes an error body as a problem document when its media type is JSON (application/json,
// application/problem+json or any +json type) and it has at least one problem field.
func parseProblem(contentType string, body []byte) *Problem {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil
	}
	var p Problem
	if decodeJSONBytes(body, &p) != nil && !salvageProblem(body, &p) {
		return nil
	}
	if p.Type == "" && p.Title == "" && p.Status == 0 && p.Detail == "" && p.RequestID == "" {
		return nil
	}
	return &p
}

// salvageProblem decodes what it can of a problem whose strict decoding failed (a malformed time, a string
// status …): each top-level field on its own, skipping those that do not fit. It reports whether the body
// is a JSON object at all.
func salvageProblem(body []byte, p *Problem) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return false
	}
	*p = Problem{}
	for k, v := range fields {
		one, _ := json.Marshal(map[string]json.RawMessage{k: v})
		var field Problem
		if json.Unmarshal(one, &field) == nil {
			_ = json.Unmarshal(one, p)
		}
	}
	return true
}

// closeBody drains a bounded amount of what is left of a body, so the connection can be reused, and closes it.
func closeBody(resp *http.Response) {
	buf := drainBuffers.Get().(*[4096]byte)
	for left := 256 << 10; left > 0; left -= len(buf) {
		if _, err := resp.Body.Read(buf[:]); err != nil {
			break
		}
	}
	drainBuffers.Put(buf)
	resp.Body.Close()
	resp.Body = http.NoBody
}

var drainBuffers = sync.Pool{New: func() any { return new([4096]byte) }}

// Shared values of the headers every request carries.
var (
	userAgentHeader = []string{userAgent}
	acceptHeader    = []string{"application/json, application/problem+json"}
)

func setAttempts(err error, n int) {
	var apiErr *APIError
	var connErr *ConnectionError
	switch {
	case errors.As(err, &apiErr):
		apiErr.Attempts = n
	case errors.As(err, &connErr):
		connErr.Attempts = n
	}
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
