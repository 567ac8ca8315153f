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
	// retryAfter) replaces it, capped at MaxInterval too.
	InitialInterval time.Duration
	MaxInterval     time.Duration
	Exponent        float64

	// MaxElapsedTime bounds the whole call, waits included: a retry that could not start before it (or
	// before the context's deadline) is not waited for; the last error is returned at once.
	MaxElapsedTime time.Duration
	// MaxAttempts bounds the number of attempts, the first included. 0: bounded by MaxElapsedTime alone.
	MaxAttempts int

	// RetryConnectionErrors retries attempts that got no reply: refused or reset connections, DNS failures,
	// per-attempt timeouts. TLS certificate and malformed-request errors are never retried.
	RetryConnectionErrors bool

	// StatusCodes lists the retried statuses: exact codes ("429") or classes ("5XX"). 501 Not Implemented and
	// 505 HTTP Version Not Supported are never retried: no retry can succeed. A problem body's
	// `retryable` overrides the list: false stops at once, true retries an unlisted status.
	StatusCodes []string
}

// DefaultRetryConfig returns the defaults: those of Ampersand's TypeScript SDK (backoff from 500 ms by ×1.5
// up to 60 s, retrying 5XX and connection errors) with two corrections: calls give up after 5 minutes rather
// than one hour, and 429 and 408 are retried too.
func DefaultRetryConfig() RetryConfig {
	return RetryConfig{
		Strategy:              RetryBackoff,
		InitialInterval:       500 * time.Millisecond,
		MaxInterval:           60 * time.Second,
		Exponent:              1.5,
		MaxElapsedTime:        5 * time.Minute,
		RetryConnectionErrors: true,
		StatusCodes:           []string{"5XX", "429", "408"},
	}
}

func (rc RetryConfig) validate() error {
	if rc.Strategy == RetryNone {
		return nil
	}
	if rc.Strategy != RetryBackoff {
		return &ValidationError{Field: "RetryConfig.Strategy", Reason: fmt.Sprintf("unknown strategy %d", rc.Strategy)}
	}
	bad := func(field, reason string) error {
		return &ValidationError{Field: "RetryConfig." + field, Reason: reason}
	}
	switch {
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

// attempt describes how one attempt ended, as far as the retry policy cares.
type attempt struct {
	n       int           // 1-based number of this attempt
	elapsed time.Duration // since the call started, this attempt included
	now     time.Time

	status     int         // the reply's status; 0 when there was no reply
	header     http.Header // the reply's headers
	retryable  *bool       // the problem's retryable, if the body was a problem that said
	retryAfter time.Time   // the problem's retryAfter, if any

	err         error // no usable reply: the transport's error (or the body read's)
	timedOut    bool  // err is this attempt's WithTimeout expiry
	maybeSent   bool  // err happened after the request may have reached the server
	idempotent  bool  // the operation may be repeated safely
	deadline    time.Time
	hasDeadline bool
	random      float64 // uniform in [0, 1), for jitter
}

// decision is what to do after an attempt.
type decision struct {
	retry  bool
	wait   time.Duration
	reason string // why, for logs and tests
}

// decide is the whole retry policy: a pure function of the configuration and how the attempt ended.
func decide(rc RetryConfig, a attempt) decision {
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
	wait, hinted := serverHint(a)
	if hinted {
		wait = min(wait, rc.MaxInterval)
		why += fmt.Sprintf("; server asked to wait %s", wait)
	} else {
		wait = backoff(rc, a.n, a.random)
	}
	if rc.MaxElapsedTime > 0 && a.elapsed+wait > rc.MaxElapsedTime {
		return decision{reason: fmt.Sprintf("%s, but waiting %s would pass MaxElapsedTime %s", why, wait, rc.MaxElapsedTime)}
	}
	if a.hasDeadline && !a.now.Add(wait).Before(a.deadline) {
		return decision{reason: fmt.Sprintf("%s, but waiting %s would pass the context deadline", why, wait)}
	}
	return decision{retry: true, wait: wait, reason: why}
}

// retryable says whether the outcome may be retried at all, and why.
func retryable(rc RetryConfig, a attempt) (bool, string) {
	if a.err != nil {
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

// permanentTransportError reports errors no retry can fix: bad certificates, unsupported schemes, malformed
// requests, redirect loops.
func permanentTransportError(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		dnsErr           *net.DNSError
	)
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid):
		return true
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return true
	case errors.Is(err, context.Canceled):
		return true
	}
	msg := err.Error()
	for _, s := range []string{"stopped after", "unsupported protocol scheme", "invalid header", "net/http: invalid"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// serverHint returns how long the server asked to wait (Retry-After in seconds or as an HTTP date, or the
// problem's retryAfter; the later of the two), and whether it said anything.
func serverHint(a attempt) (time.Duration, bool) {
	var wait time.Duration
	found := false
	if v := a.header.Get("Retry-After"); v != "" {
		if d, ok := parseRetryAfter(v, a.now); ok {
			wait, found = d, true
		}
	}
	if !a.retryAfter.IsZero() {
		d := max(a.retryAfter.Sub(a.now), 0)
		if !found || d > wait {
			wait, found = d, true
		}
	}
	return wait, found
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
	base := float64(rc.InitialInterval) * math.Pow(rc.Exponent, float64(n-1))
	if base > float64(rc.MaxInterval) {
		base = float64(rc.MaxInterval)
	}
	d := time.Duration(base * (0.8 + 0.4*random))
	return min(d, rc.MaxInterval)
}
