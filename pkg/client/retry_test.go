package client

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func yes() *bool { v := true; return &v }
func no() *bool  { v := false; return &v }

func TestDecide(t *testing.T) {
	rc := DefaultRetryConfig()
	dial := &url.Error{Op: "Post", URL: "https://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	reset := &url.Error{Op: "Post", URL: "https://x", Err: &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}}
	base := outcome{n: 1, elapsed: time.Second, now: t0, idempotent: true, random: 0.5}
	with := func(f func(*outcome)) outcome { a := base; f(&a); return a }
	status := func(code int) func(*outcome) { return func(a *outcome) { a.status = code; a.header = http.Header{} } }

	cases := []struct {
		name  string
		rc    func(*RetryConfig)
		a     outcome
		retry bool
		wait  time.Duration // checked when retry and non-zero
	}{
		{"500 retried with backoff", nil, with(status(500)), true, 500 * time.Millisecond},
		{"502", nil, with(status(502)), true, 0},
		{"503", nil, with(status(503)), true, 0},
		{"504", nil, with(status(504)), true, 0},
		{"429", nil, with(status(429)), true, 0},
		{"408", nil, with(status(408)), true, 0},
		{"501 never", nil, with(status(501)), false, 0},
		{"505 never", nil, with(status(505)), false, 0},
		{"501 never, even when the problem says retryable", nil, with(func(a *outcome) { status(501)(a); a.retryable = yes() }), false, 0},
		{"400 not listed", nil, with(status(400)), false, 0},
		{"404 not listed", nil, with(status(404)), false, 0},
		{"409 with retryable: true", nil, with(func(a *outcome) { status(409)(a); a.retryable = yes() }), true, 0},
		{"503 with retryable: false", nil, with(func(a *outcome) { status(503)(a); a.retryable = no() }), false, 0},
		{"unlisted 503 when only 429 listed", func(rc *RetryConfig) { rc.StatusCodes = []string{"429"} }, with(status(503)), false, 0},
		{"4XX class", func(rc *RetryConfig) { rc.StatusCodes = []string{"4xx"} }, with(status(418)), true, 0},

		{"Retry-After seconds", nil, with(func(a *outcome) { status(429)(a); a.header.Set("Retry-After", "7") }), true, 7 * time.Second},
		{"Retry-After HTTP date", nil, with(func(a *outcome) {
			status(503)(a)
			a.header.Set("Retry-After", t0.Add(12*time.Second).Format(http.TimeFormat))
		}), true, 12 * time.Second},
		// A hint never shortens the backoff (a zero, negative or past one would make a busy loop).
		{"Retry-After in the past: backoff", nil, with(func(a *outcome) {
			status(503)(a)
			a.header.Set("Retry-After", t0.Add(-time.Hour).Format(http.TimeFormat))
		}), true, 500 * time.Millisecond},
		{"Retry-After: 0: backoff", nil, with(func(a *outcome) { status(503)(a); a.header.Set("Retry-After", "0") }), true, 500 * time.Millisecond},
		{"Retry-After: -5: backoff", nil, with(func(a *outcome) { status(503)(a); a.header.Set("Retry-After", "-5") }), true, 500 * time.Millisecond},
		{"problem retryAfter in the past: backoff", nil, with(func(a *outcome) { status(503)(a); a.retryAfter = t0.Add(-time.Minute) }), true, 500 * time.Millisecond},
		{"a hint shorter than the backoff: backoff", nil, with(func(a *outcome) {
			status(503)(a)
			a.n = 3 // backoff 500 ms × 1.5² = 1.125 s
			a.header.Set("Retry-After", "1")
		}), true, 1125 * time.Millisecond},
		{"Retry-After capped at MaxInterval", nil, with(func(a *outcome) { status(429)(a); a.header.Set("Retry-After", "86400") }), true, 60 * time.Second},
		{"Retry-After garbage: backoff", nil, with(func(a *outcome) { status(503)(a); a.header.Set("Retry-After", "soon") }), true, 500 * time.Millisecond},
		{"problem retryAfter", nil, with(func(a *outcome) { status(503)(a); a.retryAfter = t0.Add(3 * time.Second) }), true, 3 * time.Second},
		{"problem retryAfter capped", nil, with(func(a *outcome) { status(503)(a); a.retryAfter = t0.Add(48 * time.Hour) }), true, 60 * time.Second},
		{"the later of header and body", nil, with(func(a *outcome) {
			status(503)(a)
			a.header.Set("Retry-After", "2")
			a.retryAfter = t0.Add(5 * time.Second)
		}), true, 5 * time.Second},

		{"dial error retried", nil, with(func(a *outcome) { a.err = dial }), true, 0},
		{"reset retried when idempotent", nil, with(func(a *outcome) { a.err = reset; a.maybeSent = true }), true, 0},
		{"per-attempt timeout retried", nil, with(func(a *outcome) { a.err = context.DeadlineExceeded; a.timedOut = true; a.maybeSent = true }), true, 0},
		{"connection errors off", func(rc *RetryConfig) { rc.RetryConnectionErrors = false }, with(func(a *outcome) { a.err = dial }), false, 0},
		{"bad certificate never", nil, with(func(a *outcome) { a.err = &url.Error{Err: x509.UnknownAuthorityError{}} }), false, 0},
		{"certificate for another host never", nil, with(func(a *outcome) { a.err = &url.Error{Err: x509.HostnameError{Host: "h"}} }), false, 0},
		{"expired certificate never", nil, with(func(a *outcome) {
			a.err = &url.Error{Err: x509.CertificateInvalidError{Reason: x509.Expired}}
		}), false, 0},
		{"redirect loop never", nil, with(func(a *outcome) { a.err = errTooManyRedirects }), false, 0},
		{"NXDOMAIN never", nil, with(func(a *outcome) { a.err = &net.DNSError{Err: "no such host", IsNotFound: true} }), false, 0},

		// generateConnection: not idempotent.
		{"generate: 500 not retried", nil, with(func(a *outcome) { status(500)(a); a.idempotent = false }), false, 0},
		{"generate: 502 not retried", nil, with(func(a *outcome) { status(502)(a); a.idempotent = false }), false, 0},
		{"generate: 503 retried", nil, with(func(a *outcome) { status(503)(a); a.idempotent = false }), true, 0},
		{"generate: 429 retried", nil, with(func(a *outcome) { status(429)(a); a.idempotent = false }), true, 0},
		{"generate: 500 retryable: true", nil, with(func(a *outcome) { status(500)(a); a.idempotent = false; a.retryable = yes() }), true, 0},
		{"generate: dial error retried", nil, with(func(a *outcome) { a.err = dial; a.idempotent = false }), true, 0},
		{"generate: reset after sending not retried", nil, with(func(a *outcome) { a.err = reset; a.maybeSent = true; a.idempotent = false }), false, 0},
		{"generate: timeout after sending not retried", nil, with(func(a *outcome) {
			a.err, a.timedOut, a.maybeSent, a.idempotent = context.DeadlineExceeded, true, true, false
		}), false, 0},

		// Budgets.
		{"retries disabled", func(rc *RetryConfig) { rc.Strategy = RetryNone }, with(status(503)), false, 0},
		{"MaxAttempts reached", func(rc *RetryConfig) { rc.MaxAttempts = 3 }, with(func(a *outcome) { status(503)(a); a.n = 3 }), false, 0},
		{"MaxAttempts not reached", func(rc *RetryConfig) { rc.MaxAttempts = 3 }, with(func(a *outcome) { status(503)(a); a.n = 2 }), true, 0},
		{"would pass MaxElapsedTime", nil, with(func(a *outcome) { status(503)(a); a.elapsed = 5*time.Minute - 100*time.Millisecond }), false, 0},
		{"would pass the context deadline", nil, with(func(a *outcome) {
			status(429)(a)
			a.header.Set("Retry-After", "30")
			a.deadline = t0.Add(10 * time.Second)
		}), false, 0},
		{"fits before the context deadline", nil, with(func(a *outcome) {
			status(429)(a)
			a.header.Set("Retry-After", "5")
			a.deadline = t0.Add(10 * time.Second)
		}), true, 5 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := rc
			rc.StatusCodes = append([]string(nil), rc.StatusCodes...)
			if tc.rc != nil {
				tc.rc(&rc)
			}
			d := decide(rc, tc.a)
			if d.retry != tc.retry {
				t.Fatalf("retry = %v (%s), want %v", d.retry, d.reason, tc.retry)
			}
			if d.retry && tc.wait != 0 && d.wait != tc.wait {
				t.Errorf("wait = %s (%s), want %s", d.wait, d.reason, tc.wait)
			}
			if d.reason == "" {
				t.Error("no reason")
			}
		})
	}
}

// A retry's budget cost: RetryCost, or TimeoutRetryCost after a per-attempt timeout.
func TestDecideCost(t *testing.T) {
	rc := DefaultRetryConfig()
	for _, tc := range []struct {
		a    outcome
		cost int
	}{
		{outcome{n: 1, status: 503, header: http.Header{}, idempotent: true}, rc.RetryCost},
		{outcome{n: 1, err: errors.New("reset"), maybeSent: true, idempotent: true}, rc.RetryCost},
		{outcome{n: 1, err: context.DeadlineExceeded, timedOut: true, maybeSent: true, idempotent: true}, rc.TimeoutRetryCost},
	} {
		if d := decide(rc, tc.a); !d.retry || d.cost != tc.cost {
			t.Errorf("%+v: retry %v, cost %d; want cost %d", tc.a, d.retry, d.cost, tc.cost)
		}
	}
}

// The budget: takes while it can, refunds what a call's retries took (or SuccessRefund after a first-attempt
// success) up to its capacity, and is safe for concurrent use.
func TestBudget(t *testing.T) {
	r := &retrier{RetryConfig: DefaultRetryConfig(), bucket: &bucket{tokens: 12, capacity: 12}}
	spent := 0
	first, second, third := r.take(5, &spent), r.take(5, &spent), r.take(5, &spent)
	if !first || !second || third || r.bucket.tokens != 2 || spent != 10 {
		t.Fatalf("three takes of 5 from 12: %v %v %v, %d left, %d spent", first, second, third, r.bucket.tokens, spent)
	}
	r.succeeded(3, spent)
	if r.bucket.tokens != 12 {
		t.Fatalf("after refunding a call's retries: %d left", r.bucket.tokens)
	}
	r.succeeded(1, 0)
	if r.bucket.tokens != 12 {
		t.Fatalf("refund beyond capacity: %d left", r.bucket.tokens)
	}
	var wg sync.WaitGroup
	var taken atomic.Int64
	for range 50 {
		wg.Go(func() {
			var mine int
			if r.take(1, &mine) {
				taken.Add(1)
			}
		})
	}
	wg.Wait()
	if taken.Load() != 12 || r.bucket.tokens != 0 {
		t.Fatalf("50 concurrent takes of 1 from 12: %d taken, %d left", taken.Load(), r.bucket.tokens)
	}
	r.BudgetCapacity = 0 // a call whose RetryConfig turns the budget off
	if !r.take(100, &spent) {
		t.Fatal("a call without a budget was refused a retry")
	}
}

func TestBackoff(t *testing.T) {
	rc := DefaultRetryConfig()
	// 500 ms × 1.5^(n-1), capped at 60 s, jitter in [0.8, 1.2).
	for n, want := range map[int]time.Duration{1: 500 * time.Millisecond, 2: 750 * time.Millisecond, 3: 1125 * time.Millisecond, 20: 60 * time.Second} {
		if got := backoff(rc, n, 0.5); got != want {
			t.Errorf("backoff(%d) = %s, want %s", n, got, want)
		}
	}
	if lo, hi := backoff(rc, 1, 0), backoff(rc, 1, 0.999999); lo != 400*time.Millisecond || hi < 599*time.Millisecond || hi >= 600*time.Millisecond {
		t.Errorf("jitter range [%s, %s]", lo, hi)
	}
	if got := backoff(rc, 1000, 0.99); got != rc.MaxInterval {
		t.Errorf("huge n: %s", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0": 0, "  3 ": 3 * time.Second, "-5": 0,
		t0.Add(90 * time.Second).Format(http.TimeFormat):                  90 * time.Second,
		t0.Add(90 * time.Second).Format(time.RFC850):                      90 * time.Second,
		t0.Add(90 * time.Second).UTC().Format("Mon Jan _2 15:04:05 2006"): 90 * time.Second,
		"99999999999999999999":                                            0, // overflows int64: not a number, not a date
	} {
		got, ok := parseRetryAfter(in, t0)
		if in == "99999999999999999999" {
			if ok {
				t.Errorf("%q accepted", in)
			}
			continue
		}
		if !ok || got != want {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s", in, got, ok, want)
		}
	}
	if d, ok := parseRetryAfter("9223372036", t0); !ok || d <= 0 {
		t.Errorf("large seconds must not overflow: %s", d)
	}
	for _, in := range []string{"", "soon", "1.5", "Tue, 31 Feb"} {
		if _, ok := parseRetryAfter(in, t0); ok {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestRetryConfigValidate(t *testing.T) {
	if err := DefaultRetryConfig().validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit  func(*RetryConfig)
		field string
	}{
		{func(rc *RetryConfig) { rc.InitialInterval = 0 }, "InitialInterval"},
		{func(rc *RetryConfig) { rc.MaxInterval = time.Millisecond }, "MaxInterval"},
		{func(rc *RetryConfig) { rc.Exponent = 0.5 }, "Exponent"},
		{func(rc *RetryConfig) { rc.MaxAttempts = -1 }, "MaxAttempts"},
		{func(rc *RetryConfig) { rc.MaxElapsedTime = 0; rc.MaxAttempts = 0 }, "MaxAttempts"},
		{func(rc *RetryConfig) { rc.StatusCodes = []string{"5xx", "50"} }, "StatusCodes"},
		{func(rc *RetryConfig) { rc.Strategy = 7 }, "Strategy"},
	} {
		rc := DefaultRetryConfig()
		tc.edit(&rc)
		var ve *ValidationError
		if err := rc.validate(); !errors.As(err, &ve) || !strings.HasSuffix(ve.Field, tc.field) {
			t.Errorf("%s: err = %v", tc.field, err)
		}
	}
	none := RetryConfig{Strategy: RetryNone}
	if err := none.validate(); err != nil {
		t.Errorf("RetryNone needs nothing else: %v", err)
	}
}

func TestPresize(t *testing.T) {
	for _, tc := range []struct {
		length, per int64
		want        int64
	}{
		{7_148_433, 714, 7_148_433/714 + 7_148_433/714/16}, // 10k real connections: the count plus 1/16
		{-1, 714, 0},                         // length unknown: chunks instead
		{7_148_433, 3, 0},                    // "{}" elements are not connections: do not trust the length
		{7_000_000, 300, 23_333 + 23_333/16}, // how much of it the budget lets the list reserve is listBuilder's
	} {
		if got := presize(tc.length, tc.per); int64(got) != tc.want {
			t.Errorf("presize(%d, %d) = %d, want %d", tc.length, tc.per, got, tc.want)
		}
	}
}

// Lists decode the same whatever the strategy: one slice (no length), presized, or chunked.
func TestDecodeListStrategies(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 17, 1040, 1041, 3000} {
		var b strings.Builder
		b.WriteString("[")
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"id":"c-%d","provider":"p","projectId":"proj","authScheme":"apiKey","status":"created",
				"createTime":"2024-03-01T09:00:00Z","group":{"groupRef":"g","groupName":"G","projectId":"proj","createTime":"2024-03-01T09:00:00Z"},
				"consumer":{"consumerRef":"c","consumerName":"C","projectId":"proj","createTime":"2024-03-01T09:00:00Z"}}`, i)
		}
		b.WriteString("]")
		body := b.String()
		for _, length := range []int64{-1, int64(len(body))} {
			var got []Connection
			if err := decodeList(strings.NewReader(body), length, &report{}, &got); err != nil {
				t.Fatalf("n=%d length=%d: %v", n, length, err)
			}
			if len(got) != n {
				t.Fatalf("n=%d length=%d: %d decoded", n, length, len(got))
			}
			for i, c := range got {
				if c.ID != fmt.Sprintf("c-%d", i) || c.Group.GroupRef != "g" {
					t.Fatalf("n=%d length=%d: element %d = %+v", n, length, i, c)
				}
			}
		}
	}
}

// A retry's reason (logged, given to Hooks.Retry, put on spans by ampotel) is made of fixed words, status
// codes and durations: nothing of the error's message, the server's headers or its problem reaches it.
func TestDecideReasonHoldsNoInput(t *testing.T) {
	const canary = "CANARY-conn-7f3a"
	errs := []error{nil,
		&url.Error{Op: "Get", URL: "https://x/connections/" + canary, Err: errors.New("reset " + canary)},
		fmt.Errorf("stopped after 10 redirects to /%s", canary),
		&net.DNSError{Err: canary, Name: canary, IsNotFound: true},
		context.Canceled,
	}
	hints := []string{"", "3", canary, "Wed, 25 Nov 2026 12:00:09 GMT", "99999999999999999999"}
	rcs := []RetryConfig{DefaultRetryConfig(), {Strategy: RetryNone}}
	short := DefaultRetryConfig()
	short.MaxElapsedTime, short.MaxAttempts = 2*time.Second, 2
	rcs = append(rcs, short)
	allowed := func(r rune) bool {
		return r < 128 && (r == ' ' || strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:()-µ", r))
	}
	for _, rc := range rcs {
		for _, err := range errs {
			for status := 0; status < 600; status += 1 + 10*(status/100%2) {
				for _, hint := range hints {
					for _, flags := range []int{0, 1, 2, 3, 4, 5, 6, 7} {
						a := outcome{n: 1 + flags%3, elapsed: time.Second, now: t0, random: 0.5, err: err,
							idempotent: flags&1 == 0, maybeSent: flags&2 == 0, timedOut: flags&4 != 0,
						}
						if flags == 7 {
							a.deadline = t0.Add(time.Second)
						}
						if err == nil {
							a.status, a.header, a.timedOut = status, http.Header{"Retry-After": {hint}}, false
							a.retryable = []*bool{nil, yes(), no()}[flags%3]
						}
						d := decide(rc, a)
						if strings.Contains(d.reason, canary) || strings.IndexFunc(d.reason, func(r rune) bool { return !allowed(r) }) >= 0 {
							t.Fatalf("reason %q (attempt %+v)", d.reason, a)
						}
					}
				}
				if err != nil {
					break
				}
			}
		}
	}
}
