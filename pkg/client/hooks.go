package client

import (
	"context"
	"time"
)

// Hooks are told of a call's start and end and of each retry decision, for instrumentation without a
// transport of its own: progress messages, metrics, tracing (package ampotel, in module
// github.com/ampersand-sdk/ampersand-go/otel, is built on them and on Middleware). Every field is optional.
// Hooks run in the calling goroutine and must not block; they are not given the request or the API key, and
// the errors they see print the key as [REDACTED]. Give them with WithHooks.
type Hooks struct {
	// CallStart is called when a call starts, after its request passed the checks and was built; the
	// context it returns (nil: unchanged) is the call's from then on, for its attempts, hooks and
	// middleware — to carry a tracing span, say.
	CallStart func(ctx context.Context, call *Call) context.Context
	// Retry is called after a failed attempt that will be retried, before the wait.
	Retry func(ctx context.Context, call *Call, retry Retry)
	// CallEnd is called when the call ends, with its error (nil on success); call.Attempts is then final.
	CallEnd func(ctx context.Context, call *Call, err error)
}

// Call describes the call a hook is told of. The same *Call is given to every hook of one call.
type Call struct {
	Operation string    // the operationId, e.g. "getConnection"
	Method    string    // the HTTP method
	Route     string    // the path template, e.g. "/projects/{projectIdOrName}/connections/{connectionId}"
	Project   string    // the project ID or name the call addresses
	Start     time.Time // when the call started
	Attempts  int       // the attempts made so far
	// DecodeIssues are the repairs made to the success body that did not match its schema (see DecodeIssue),
	// for CallEnd; nil when there were none. All's grow as it iterates.
	DecodeIssues []DecodeIssue
}

// Retry describes a retry decision: attempt Attempt failed with Err, and the next starts after Wait.
type Retry struct {
	Attempt int
	Err     error
	Wait    time.Duration
	// Reason says why it is retried, e.g. "status 503; server asked to wait 2s". It is made of fixed words,
	// status codes and durations only — never of an error's message, a reply's content, an ID or the key —
	// so it may go where Err may not (a span event); it is not bounded (durations vary), so not a metric label.
	Reason string
}

// WithHooks adds hooks: given to New, for every call of the client; given to a call, for that call too
// (after the client's). Several WithHooks add up.
func WithHooks(h Hooks) Option {
	return func(c *config) error {
		c.hooks = append(c.hooks, h)
		return nil
	}
}

// callStart runs the CallStart hooks and returns the call's context.
func (r *run) callStart(ctx context.Context, project string) context.Context {
	if len(r.cfg.hooks) == 0 {
		return ctx
	}
	r.call = &Call{Operation: r.op.id, Method: r.op.method, Route: r.op.route, Project: project, Start: r.start}
	for _, h := range r.cfg.hooks {
		if h.CallStart != nil {
			if c := h.CallStart(ctx, r.call); c != nil {
				ctx = c
			}
		}
	}
	return ctx
}

// hookRetry runs the Retry hooks.
func (r *run) hookRetry(ctx context.Context, n int, d decision, err error) {
	for _, h := range r.cfg.hooks {
		if h.Retry != nil {
			h.Retry(ctx, r.call, Retry{Attempt: n, Err: err, Wait: d.wait, Reason: d.reason})
		}
	}
}

// end ends the call: the WARN line of its DecodeIssues (see logIssues), then the CallEnd hooks.
func (r *run) end(ctx context.Context, err error) {
	r.cfg.logIssues(ctx, r.op.id, r.rep.issues)
	if r.call == nil {
		return
	}
	r.call.DecodeIssues = r.rep.issues
	for _, h := range r.cfg.hooks {
		if h.CallEnd != nil {
			h.CallEnd(ctx, r.call, err)
		}
	}
}
