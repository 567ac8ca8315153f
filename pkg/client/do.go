package client

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// do runs one call of op: builds the request once, then sends attempts until one succeeds or the retry
// policy (decide), the retry budget, MaxElapsedTime or the context stops it.
func (c *Client) do(ctx context.Context, op *operation, project string, opts []Option, build func(server string) (*http.Request, error), decode func(reply) error) error {
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
	req, err := build(cfg.server.base)
	if err != nil {
		return fmt.Errorf("ampersand: %s: building the request: %w", op.id, err)
	}
	// Header values are shared, read-only slices: setting them allocates nothing. Attempts that run request
	// editors get a copy of the request first.
	req.Header["X-Api-Key"] = cfg.key().header
	req.Header["User-Agent"] = userAgentHeader
	req.Header["Accept"] = op.accept
	for k, v := range cfg.header {
		req.Header[k] = v
	}
	r := run{cfg: cfg, op: op, base: req, decode: decode, idempotent: op.idempotent || cfg.retryUnsafe, start: time.Now()}
	if cfg.retry.Strategy == RetryBackoff && cfg.retry.MaxElapsedTime > 0 {
		r.deadline = r.start.Add(cfg.retry.MaxElapsedTime)
	}
	ctx = r.callStart(ctx, project)
	err = r.loop(ctx)
	cfg.logIssues(ctx, op.id, r.rep.issues)
	if r.call != nil {
		r.call.DecodeIssues = r.rep.issues
	}
	r.callEnd(ctx, err)
	return err
}

// The shared value of the User-Agent header every request carries.
var userAgentHeader = []string{userAgent}

// run is the state of one call.
type run struct {
	cfg        *config
	op         *operation
	base       *http.Request // every attempt sends a copy
	decode     func(reply) error
	idempotent bool
	start      time.Time
	deadline   time.Time // start + MaxElapsedTime, or zero
	last       error     // the error of the previous attempt
	spent      int       // retry budget tokens taken by this call's retries
	call       *Call     // what hooks are told; nil without hooks
	rep        report    // the issues of the last success body
}

func (r *run) loop(ctx context.Context) error {
	cfg := r.cfg
	for n := 1; ; n++ {
		if r.call != nil {
			r.call.Attempts = n
		}
		out := r.attempt(ctx, n)
		if cfg.responseInto != nil && out.resp != nil {
			*cfg.responseInto = out.resp
		}
		if out.err == nil {
			r.succeeded(n)
			return nil
		}
		setAttempts(out.err, n)
		if out.final {
			return out.err
		}
		r.last = out.err
		d := decide(cfg.retry, r.describe(ctx, out, n))
		if d.retry && !r.take(d.cost) {
			cfg.logDecision(ctx, r.op.id, n, decision{reason: d.reason + ", but the retry budget is exhausted"}, out.err)
			return &budgetError{cause: out.err}
		}
		cfg.logDecision(ctx, r.op.id, n, d, out.err)
		if !d.retry {
			return out.err
		}
		r.hookRetry(ctx, n, d, out.err)
		timer := time.NewTimer(d.wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("ampersand: %s: %w while waiting to retry; last attempt: %w", r.op.id, ctx.Err(), r.last)
		case <-timer.C:
		}
	}
}

// describe turns an attempt's outcome into what the retry policy decides on.
func (r *run) describe(ctx context.Context, out outcome, n int) attempt {
	now := time.Now()
	a := attempt{n: n, elapsed: now.Sub(r.start), now: now, idempotent: r.idempotent, random: rand.Float64()}
	if out.resp != nil && (out.resp.StatusCode < 200 || out.resp.StatusCode >= 300) { // a reply that is not a success
		a.status, a.header = out.resp.StatusCode, out.resp.Header
		if out.problem != nil {
			a.retryable, a.retryAfter = out.problem.Retryable, out.problem.RetryAfter
		}
	} else {
		a.err, a.timedOut, a.maybeSent = out.err, out.timedOut, out.maybeSent
	}
	a.deadline, a.hasDeadline = ctx.Deadline()
	return a
}

// budgetOn reports whether this call's retries draw on the client's retry budget.
func (r *run) budgetOn() bool { return r.cfg.budget != nil && r.cfg.retry.BudgetCapacity > 0 }

// take takes a retry's tokens from the budget; false when the budget cannot pay for it.
func (r *run) take(cost int) bool {
	if !r.budgetOn() {
		return true
	}
	if !r.cfg.budget.take(cost) {
		return false
	}
	r.spent += cost
	return true
}

// succeeded refunds the budget: what the call's retries took, or SuccessRefund for a first-attempt success.
func (r *run) succeeded(n int) {
	if !r.budgetOn() {
		return
	}
	refund := r.spent
	if n == 1 {
		refund = r.cfg.retry.SuccessRefund
	}
	r.cfg.budget.refund(refund, r.cfg.budgetCapacity)
}
