package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// defaultWaitNotice is how often amp says, on a terminal, what it is still waiting for.
const defaultWaitNotice = 3 * time.Second

// lockedWriter serializes writes to stderr, which the waiting notices make from a timer's goroutine.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// callState is what amp knows of the API call in progress, from the SDK's hooks: for the waiting notices,
// and for the line that ends a call that ran out of time.
type callState struct {
	mu       sync.Mutex
	op       string // the operation; "" before the call starts
	attempt  int    // the attempt in progress
	attempts int    // the attempts made, once the call ended
	timer    *time.Timer
	ended    bool
}

// hooks returns the SDK hooks through which amp follows a call: always to know its operation and attempts,
// and on a terminal (unless --quiet) to say what it waits for and why it retries.
func (a *app) hooks() client.Hooks {
	say := a.stderrTTY && !a.quiet
	return client.Hooks{
		CallStart: func(_ context.Context, call *client.Call) context.Context {
			s := &a.call
			s.mu.Lock()
			defer s.mu.Unlock()
			s.op, s.attempt, s.ended = call.Operation, 1, false
			if say {
				start := call.Start
				s.timer = time.AfterFunc(a.waitNotice, func() { a.sayWaiting(start) })
			}
			return nil
		},
		Retry: func(ctx context.Context, call *client.Call, r client.Retry) {
			a.call.mu.Lock()
			a.call.attempt = r.Attempt + 1
			a.call.mu.Unlock()
			if say {
				a.sayRetry(ctx, call, r)
			}
		},
		CallEnd: func(_ context.Context, call *client.Call, _ error) {
			s := &a.call
			s.mu.Lock()
			defer s.mu.Unlock()
			s.attempts, s.ended = call.Attempts, true
			if s.timer != nil {
				s.timer.Stop()
			}
		},
	}
}

// sayWaiting tells the person at the terminal what amp is waiting for, and does again every a.waitNotice
// until the call ends: "amp: waiting for a reply from https://api.withampersand.com/v1 (listConnections,
// attempt 1; 3s so far, --timeout 30s)".
func (a *app) sayWaiting(start time.Time) {
	s := &a.call
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	limit := "no --timeout"
	if a.timeout > 0 {
		limit = "--timeout " + a.timeout.String()
	}
	fmt.Fprintf(a.stderr, "amp: waiting for a reply from %s (%s, attempt %d; %s so far, %s)\n",
		clean(a.server), s.op, s.attempt, time.Since(start).Round(time.Second), limit)
	s.timer.Reset(a.waitNotice)
}

// noReplyLine returns the one line that ends a call that ran out of time — which server, how long, which
// flag bounds the wait — or "" when err is no such end. It replaces the SDK's message, whose attempt counts
// mix the attempt cut by the deadline with the one before it.
func (a *app) noReplyLine(err error) string {
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, new(*client.APIError)) {
		return ""
	}
	s := &a.call
	s.mu.Lock()
	op, attempts := s.op, s.attempts
	s.mu.Unlock()
	if op == "" {
		return ""
	}
	what := "no reply from " + clean(a.server)
	var connErr *client.ConnectionError
	if errors.As(err, &connErr) && !connErr.Timeout {
		what = fmt.Sprintf("%s could not be reached (%s)", clean(a.server), clean(shortReason(connErr)))
	}
	switch {
	case a.deadline != nil && errors.Is(a.deadline.Err(), context.DeadlineExceeded):
		line := fmt.Sprintf("amp: %s: %s within %s, the limit --timeout sets (%s", op, what, a.timeout, plural(attempts, "attempt"))
		if a.attemptTimeout > 0 {
			line += fmt.Sprintf("; each cut after %s by --attempt-timeout", a.attemptTimeout)
		}
		return line + ")\n"
	case a.attemptTimeout > 0 && attempts == 1:
		return fmt.Sprintf("amp: %s: %s: the attempt was cut after %s by --attempt-timeout\n", op, what, a.attemptTimeout)
	case a.attemptTimeout > 0:
		return fmt.Sprintf("amp: %s: %s: each of %d attempts was cut after %s by --attempt-timeout\n", op, what, attempts, a.attemptTimeout)
	}
	return fmt.Sprintf("amp: %s: %s within the SDK's limit of %s per call (%s); --timeout sets another\n",
		op, what, client.DefaultRetryConfig().MaxElapsedTime, plural(attempts, "attempt"))
}

// plural returns "1 attempt" or "n attempts".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
