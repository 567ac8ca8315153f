package client

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ampersand-sdk/ampersand-go/gen"
)

// Problem is the RFC 9457 problem document the API sends with errors, whichever of its schemas a reply uses:
// every field of ApiProblem (title, detail, requestId, remedy, retryable, retryAfter, causes, support
// contacts, context …) plus the Issues of an InputValidationProblem. It prints as text (see String).
type Problem gen.InputValidationProblem

// Sentinel errors for the HTTP statuses programs most often branch on. They match an *APIError with
// errors.Is:
//
//	if errors.Is(err, client.ErrNotFound) { … }
var (
	ErrNotFound     = errors.New("ampersand: not found")    // 404
	ErrUnauthorized = errors.New("ampersand: unauthorized") // 401: missing or wrong API key
	ErrForbidden    = errors.New("ampersand: forbidden")    // 403
	ErrRateLimited  = errors.New("ampersand: rate limited") // 429
)

// ErrRetryBudgetExhausted matches, with errors.Is, the error of a call whose retries the client's retry
// budget refused (see RetryConfig.BudgetCapacity). The same error also matches the real cause, the last
// *APIError or *ConnectionError, with errors.As.
var ErrRetryBudgetExhausted = errors.New("ampersand: retry budget exhausted")

// maxErrorBody caps the bytes of an error response kept in APIError.Body (and parsed as a problem).
const maxErrorBody = 64 << 10

// APIError is returned for every reply that is not a success, whatever its body: problem+json, plain JSON,
// HTML or empty. When retries ran out it describes the last reply. No field holds the API key, even when
// the server echoes it: it is replaced by [REDACTED] in Body, Header and Problem, and credential headers
// (X-Api-Key, Authorization, Proxy-Authorization, Cookie, Set-Cookie) are [REDACTED] whatever they hold.
type APIError struct {
	Operation  string      // the operationId, e.g. "getConnection"
	StatusCode int         // the HTTP status
	Problem    *Problem    // the parsed problem document; nil when the body is not one
	Body       []byte      // the raw body, at most 64 KiB
	Header     http.Header // the response headers
	Attempts   int         // how many attempts the call made

	key      apiKey // removed from Error()
	redirect string // the origin of a redirect the SDK refused to follow, if this reply is one
}

// newAPIError builds the APIError of attempt number attempts' reply with its (capped) body, the key removed
// from every field.
func newAPIError(op string, resp *http.Response, body []byte, key apiKey, attempts int) *APIError {
	e := &APIError{Operation: op, StatusCode: resp.StatusCode, Body: key.redactBytes(body), Header: redactHeader(resp.Header, key),
		Attempts: attempts, key: key}
	if p := parseProblem(resp.Header.Get("Content-Type"), e.Body); p != nil {
		e.Problem = redactProblem(p, key)
	}
	return e
}

// RequestID returns the server's ID for the failed request (from the problem, else the X-Request-Id header),
// or "". Quote it when contacting Ampersand support.
func (e *APIError) RequestID() string {
	if e.Problem != nil && e.Problem.RequestID != "" {
		return e.Problem.RequestID
	}
	return e.Header.Get("X-Request-Id")
}

// Error reads like "ampersand: getConnection: 404 Not Found: connection c-1 not found (request r-1)". The
// server's text in it is escaped (see the package documentation): it cannot forge log lines.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ampersand: %s: %d %s", e.Operation, e.StatusCode, http.StatusText(e.StatusCode))
	if e.redirect != "" {
		fmt.Fprintf(&b, ": not following the redirect to %s: the request has a body, which is sent only to the configured server", e.redirect)
	}
	if p := e.Problem; p != nil {
		if p.Title != "" && !strings.EqualFold(p.Title, http.StatusText(e.StatusCode)) {
			b.WriteString(": " + p.Title)
		}
		if p.Detail != "" {
			b.WriteString(": " + p.Detail)
		}
	}
	if id := e.RequestID(); id != "" {
		b.WriteString(" (request " + id + ")")
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return sanitize(e.key.redact(b.String()))
}

// Is makes errors.Is(err, ErrNotFound) (and ErrUnauthorized, ErrForbidden, ErrRateLimited) true for the
// matching status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// ValidationError reports bad input found before any I/O: no request was sent. Field names the request
// field or option at fault.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string {
	return sanitize("ampersand: invalid " + e.Field + ": " + e.Reason)
}

// DecodeError is returned when a success body cannot be decoded (the Go analogue of the TypeScript SDK's
// SDKValidationError): malformed JSON, the wrong overall shape (not an object for one connection, not an array
// for a list), a null body, a body over its limit or one that would take too much memory to decode, a reply of
// one connection without a usable id — and, under WithStrictDecoding, any DecodeIssue. By default a property
// that is absent, null or of the wrong type is repaired and reported instead (see DecodeIssue). The request
// may have taken effect on the server.
type DecodeError struct {
	Operation  string
	StatusCode int
	Pointer    string // the JSON pointer (RFC 6901) of the offending value, "" for the body as a whole
	Body       []byte // the start of the body, at most 64 KiB
	// Issues are the body's DecodeIssues found before it failed: all of them under WithStrictDecoding.
	Issues []DecodeIssue
	Err    error

	key apiKey
}

func (e *DecodeError) Error() string {
	return sanitize(e.key.redact(fmt.Sprintf("ampersand: %s: %d %s: decoding the response: %v", e.Operation, e.StatusCode, http.StatusText(e.StatusCode), e.Err)))
}

func (e *DecodeError) Unwrap() error { return e.Err }

// ConnectionError is returned when no HTTP reply was received (or its body could not be read): a refused
// or reset connection, a DNS or TLS failure, an attempt that hit the WithTimeout limit, or a call that ran
// out of RetryConfig.MaxElapsedTime. It unwraps to the cause, so errors.Is(err, context.DeadlineExceeded)
// holds for a timeout.
type ConnectionError struct {
	Operation string
	Attempts  int
	Timeout   bool // the last attempt hit the per-attempt timeout (WithTimeout) or the call's MaxElapsedTime
	Err       error

	key apiKey
}

func (e *ConnectionError) Error() string {
	what := "connection failed"
	if e.Timeout {
		what = "attempt timed out"
	}
	s := fmt.Sprintf("ampersand: %s: %s: %v", e.Operation, what, e.Err)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return sanitize(e.key.redact(s))
}

func (e *ConnectionError) Unwrap() error { return e.Err }
