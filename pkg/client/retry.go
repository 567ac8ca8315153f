package client

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RetryStrategy selects whether failed attempts are retried.
type RetryStrategy int

const (
	// RetryBackoff retries with exponential backoff and jitter (the default).
	RetryBackoff RetryStrategy = iota
	// RetryNone makes every call a single attempt.
	RetryNone
)

// RetryConfig says which failures are retried and how long to wait between attempts. The zero value is not
// useful; start from DefaultRetryConfig and change what you need:
//
//	rc := client.DefaultRetryConfig()
//	rc.MaxAttempts = 3
//	c, err := client.New(client.WithRetryConfig(rc))
type RetryConfig struct {
	Strategy RetryStrategy

	// The wait before retry n (n = 1, 2, …) is InitialInterval·Exponent^(n-1), capped at MaxInterval, with
	// ±20% jitter. A server hint (the Retry-After header, in seconds or as an HTTP date, or the problem's
	// retryAfter) can lengthen it, up to MaxInterval, but never shorten it: a hint of 0, a negative one or a
	// date in the past leaves the backoff as it is.
	InitialInterval time.Duration
	MaxInterval     time.Duration
	Exponent        float64

	// MaxElapsedTime bounds the whole call, attempts and waits included: an attempt still running when it
	// ends is cut short (a *ConnectionError with Timeout set), and a retry that could not start before it
	// (or before the context's deadline) is not waited for; the last error is returned at once. It applies
	// only with RetryBackoff: WithoutRetries leaves the single attempt to the context and WithTimeout.
	MaxElapsedTime time.Duration
	// MaxAttempts bounds the number of attempts, the first included. 0: bounded by MaxElapsedTime alone.
	MaxAttempts int

	// BudgetCapacity is the size of the client's retry budget, shared by all its calls (see New): a token
	// bucket that each retry takes RetryCost tokens from (TimeoutRetryCost after a per-attempt timeout),
	// that a call succeeding at its first attempt puts SuccessRefund tokens back into, and a call succeeding
	// after retries the tokens its retries took. When a retry would take more tokens than are left, the call
	// returns its last error instead, which also matches ErrRetryBudgetExhausted. During an outage this
	// bounds the retries of all the client's goroutines together to BudgetCapacity/RetryCost, so that a fleet
	// of callers cannot multiply the load on a failing server. 0 turns the budget off (so does
	// WithoutRetryBudget). The bucket is the client's: a call's own RetryConfig sets that call's costs, or
	// turns the budget off for the call with a zero capacity.
	BudgetCapacity   int
	RetryCost        int
	TimeoutRetryCost int
	SuccessRefund    int

	// RetryConnectionErrors retries attempts that got no reply: refused or reset connections, DNS failures,
	// per-attempt timeouts. TLS certificate and malformed-request errors are never retried.
	RetryConnectionErrors bool

	// StatusCodes lists the retried statuses: exact codes ("429") or classes ("5XX"). 501 Not Implemented and
	// 505 HTTP Version Not Supported are never retried: no retry can succeed. A problem body's
	// `retryable` overrides the list: false stops at once, true retries an unlisted status.
	StatusCodes []string
}

// DefaultRetryConfig returns the defaults: the backoff of Ampersand's TypeScript SDK (from 500 ms by ×1.5 up
// to 60 s, retrying 5XX and connection errors) with these corrections: at most 4 attempts and 5 minutes per
// call rather than one hour, 429 and 408 retried too, and a retry budget of 250 tokens (a retry costs 5, or
// 10 after a timeout, and a success at the first attempt returns 1, as in the AWS SDKs).
//
// Four attempts ride out a restart or a brief overload (about 2.4 s of backoff, or up to 3 minutes when the
// server asks to wait with Retry-After), and then report the failure to the caller, who knows whether to
// wait longer. The budget allows 50 retries among all the client's calls once nothing succeeds: a burst of
// 32 concurrent calls hitting an outage makes at most 2.6 attempts each (the AWS standard retryer: 3), and
// a sustained outage tends to one attempt per call (gRPC's retry throttling: about 1.1).
func DefaultRetryConfig() RetryConfig {
	return RetryConfig{
		Strategy:              RetryBackoff,
		InitialInterval:       500 * time.Millisecond,
		MaxInterval:           60 * time.Second,
		Exponent:              1.5,
		MaxElapsedTime:        5 * time.Minute,
		MaxAttempts:           4,
		BudgetCapacity:        250,
		RetryCost:             5,
		TimeoutRetryCost:      10,
		SuccessRefund:         1,
		RetryConnectionErrors: true,
		StatusCodes:           []string{"5XX", "429", "408"},
	}
}

func (rc RetryConfig) validate() error {
	if rc.Strategy == RetryNone {
		return nil
	}
	bad := func(field, reason string) error {
		return &ValidationError{Field: "RetryConfig." + field, Reason: reason}
	}
	switch {
	case rc.Strategy != RetryBackoff:
		return bad("Strategy", fmt.Sprintf("unknown strategy %d", rc.Strategy))
	case rc.InitialInterval <= 0:
		return bad("InitialInterval", "must be positive")
	case rc.MaxInterval < rc.InitialInterval:
		return bad("MaxInterval", "must be at least InitialInterval")
	case rc.Exponent < 1 || math.IsNaN(rc.Exponent) || math.IsInf(rc.Exponent, 0):
		return bad("Exponent", "must be a finite number ≥ 1")
	case rc.MaxElapsedTime < 0:
		return bad("MaxElapsedTime", "must not be negative")
	case rc.MaxAttempts < 0:
		return bad("MaxAttempts", "must not be negative")
	case rc.MaxAttempts == 0 && rc.MaxElapsedTime == 0:
		return bad("MaxAttempts", "MaxAttempts and MaxElapsedTime are both 0: retries would never end (use RetryNone for none)")
	case rc.BudgetCapacity < 0:
		return bad("BudgetCapacity", "must not be negative (0 turns the budget off)")
	case rc.BudgetCapacity > 0 && (rc.RetryCost <= 0 || rc.TimeoutRetryCost <= 0):
		return bad("RetryCost", "RetryCost and TimeoutRetryCost must be positive when the budget is on")
	case rc.SuccessRefund < 0:
		return bad("SuccessRefund", "must not be negative")
	}
	for _, s := range rc.StatusCodes {
		if _, _, ok := parseStatusPattern(s); !ok {
			return bad("StatusCodes", fmt.Sprintf("%q is neither a status code nor a class like \"5XX\"", s))
		}
	}
	return nil
}

// parseStatusPattern reads "503" (lo = hi = 503) or "5XX" (500..599).
func parseStatusPattern(s string) (lo, hi int, ok bool) {
	if len(s) != 3 {
		return 0, 0, false
	}
	if up := strings.ToUpper(s); up[1:] == "XX" && up[0] >= '1' && up[0] <= '5' {
		lo = int(up[0]-'0') * 100
		return lo, lo + 99, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 || n > 599 {
		return 0, 0, false
	}
	return n, n, true
}

func (rc RetryConfig) statusListed(code int) bool {
	for _, s := range rc.StatusCodes {
		if lo, hi, ok := parseStatusPattern(s); ok && code >= lo && code <= hi {
			return true
		}
	}
	return false
}

// outcome is how one attempt ended: the call's result when final, else what decide reads. The run loop adds
// the call's state (idempotent, times, random) before it asks.
type outcome struct {
	err   error // nil: success, the result is decoded
	final bool  // the call ends now whatever the retry policy says (success, decode error, the call's end)
	resp  *http.Response

	status     int         // the reply's status; 0: no reply (err is the transport's, or the body read's)
	header     http.Header // the reply's headers
	retryable  *bool       // the problem's retryable, if the body was a problem that said
	retryAfter time.Time   // the problem's retryAfter, if any
	timedOut   bool        // no reply: the attempt hit WithTimeout
	maybeSent  bool        // no reply: the request may have reached the server

	n          int           // the attempt's number, from 1
	idempotent bool          // the operation may be repeated safely (or WithRetryNonIdempotent)
	elapsed    time.Duration // since the call started, this attempt included
	now        time.Time
	deadline   time.Time // the context's, or zero
	random     float64   // uniform in [0, 1), for jitter
}

// decision is what to do after an attempt.
type decision struct {
	retry  bool
	wait   time.Duration
	cost   int    // the retry budget tokens the retry takes
	reason string // why, for logs and tests
}

// decide is the whole retry policy: a pure function of the configuration and how the attempt ended.
func decide(rc RetryConfig, a outcome) decision {
	if rc.Strategy == RetryNone {
		return decision{reason: "retries disabled"}
	}
	ok, why := retryable(rc, a)
	if !ok {
		return decision{reason: why}
	}
	if rc.MaxAttempts > 0 && a.n >= rc.MaxAttempts {
		return decision{reason: fmt.Sprintf("%s, but %d attempts made (MaxAttempts)", why, a.n)}
	}
	// A server hint may lengthen the wait (up to MaxInterval), never shorten it: a zero, negative or past hint
	// would otherwise turn the backoff into a busy loop against a failing server.
	wait := backoff(rc, a.n, a.random)
	if hint := serverHint(a); hint > wait {
		wait = min(hint, rc.MaxInterval)
		why += fmt.Sprintf("; server asked to wait %s", wait)
	}
	if rc.MaxElapsedTime > 0 && a.elapsed+wait > rc.MaxElapsedTime {
		return decision{reason: fmt.Sprintf("%s, but waiting %s would pass MaxElapsedTime %s", why, wait, rc.MaxElapsedTime)}
	}
	if !a.deadline.IsZero() && !a.now.Add(wait).Before(a.deadline) {
		return decision{reason: fmt.Sprintf("%s, but waiting %s would pass the context deadline", why, wait)}
	}
	cost := rc.RetryCost
	if a.timedOut {
		cost = rc.TimeoutRetryCost
	}
	return decision{retry: true, wait: wait, cost: cost, reason: why}
}

// retryable says whether the outcome may be retried at all, and why.
func retryable(rc RetryConfig, a outcome) (bool, string) {
	if a.status == 0 {
		switch {
		case !rc.RetryConnectionErrors:
			return false, "connection errors are not retried"
		case permanentTransportError(a.err):
			return false, "permanent transport error"
		case a.maybeSent && !a.idempotent:
			return false, "the request may have reached the server and the operation is not idempotent"
		case a.timedOut:
			return true, "attempt timed out"
		}
		return true, "connection error"
	}
	switch {
	case a.status == http.StatusNotImplemented || a.status == http.StatusHTTPVersionNotSupported:
		return false, fmt.Sprintf("status %d is never retried", a.status)
	case a.retryable != nil && !*a.retryable:
		return false, "the problem says retryable: false"
	case a.retryable != nil && *a.retryable:
		return true, "the problem says retryable: true"
	case !a.idempotent && a.status != http.StatusTooManyRequests && a.status != http.StatusServiceUnavailable:
		return false, fmt.Sprintf("status %d on a non-idempotent operation (only 429, 503 and retryable: true are retried)", a.status)
	case rc.statusListed(a.status):
		return true, fmt.Sprintf("status %d", a.status)
	}
	return false, fmt.Sprintf("status %d is not retried", a.status)
}

// permanentTransportError reports errors no retry can fix: bad certificates, a host that does not exist, too
// many redirects. (A request net/http would refuse to send never gets here: see sendable.)
func permanentTransportError(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		dnsErr           *net.DNSError
		redirects        redirectError
	)
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid):
		return true
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return true
	case errors.As(err, &redirects), errors.Is(err, context.Canceled):
		return true
	}
	return false
}

// serverHint returns how long the server asked to wait: the later of Retry-After (in seconds or as an HTTP
// date) and the problem's retryAfter; 0 when it said nothing or named a time past (so does a zero retryAfter).
func serverHint(a outcome) time.Duration {
	wait, _ := parseRetryAfter(a.header.Get("Retry-After"), a.now) // 0 when absent or unreadable
	return max(wait, a.retryAfter.Sub(a.now))
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date (RFC 9110 §10.2.3). Dates in the
// past and negative numbers mean "now".
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, true
		}
		if secs > int64(math.MaxInt64/time.Second) {
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// backoff is the wait before retry n (after attempt n): InitialInterval·Exponent^(n-1), capped at
// MaxInterval, times a jitter factor in [0.8, 1.2).
func backoff(rc RetryConfig, n int, random float64) time.Duration {
	base := min(float64(rc.InitialInterval)*math.Pow(rc.Exponent, float64(n-1)), float64(rc.MaxInterval))
	return min(time.Duration(base*(0.8+0.4*random)), rc.MaxInterval)
}

// retrier is a client's retry policy and its retry budget in one value, as the AWS SDKs' retryer: decide
// says whether a failure is retried, the bucket whether the client can still pay for it. A call's own
// RetryConfig (WithRetryConfig given to the call) replaces the policy and keeps the client's bucket.
type retrier struct {
	RetryConfig
	bucket *bucket // the client's, shared by all its calls; nil: no budget
}

// bucket is a client's retry budget, a token bucket in the manner of the AWS SDKs' retry quota (see
// RetryConfig.BudgetCapacity): it starts full; retries take tokens, successes put some back.
type bucket struct {
	mu       sync.Mutex
	tokens   int
	capacity int
}

// budgetOn reports whether a call's retries draw on the budget.
func (r *retrier) budgetOn() bool { return r.bucket != nil && r.BudgetCapacity > 0 }

// take takes a retry's tokens from the budget and adds them to *spent; false when the budget cannot pay
// for it (nothing is taken then).
func (r *retrier) take(cost int, spent *int) bool {
	if !r.budgetOn() {
		return true
	}
	b := r.bucket
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens < cost {
		return false
	}
	b.tokens -= cost
	*spent += cost
	return true
}

// succeeded refunds the budget after a call succeeded at attempt n: what its retries took, or SuccessRefund
// for a first-attempt success, up to the bucket's capacity.
func (r *retrier) succeeded(n, spent int) {
	if !r.budgetOn() {
		return
	}
	refund := spent
	if n == 1 {
		refund = r.SuccessRefund
	}
	if refund > 0 {
		r.bucket.mu.Lock()
		r.bucket.tokens = min(r.bucket.tokens+refund, r.bucket.capacity)
		r.bucket.mu.Unlock()
	}
}
