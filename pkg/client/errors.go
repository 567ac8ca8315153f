package client

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ampersand-sdk/ampersand-go/gen"
)

// Problem is the RFC 9457 problem document the API sends with errors: every field of ApiProblem (title,
// detail, requestId, remedy, retryable, retryAfter, …) plus the Issues of an InputValidationProblem.
type Problem = gen.InputValidationProblem

// InputValidationIssue is one invalid input named by a Problem: where (In, Name), what (Detail) and the
// offending Value.
type InputValidationIssue = gen.InputValidationIssue

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

// maxErrorBody caps the bytes of an error response kept in APIError.Body (and parsed as a problem).
const maxErrorBody = 64 << 10

// APIError is returned for every non-2xx reply, whatever its body: problem+json, plain JSON, HTML or empty.
// When retries ran out it describes the last reply.
type APIError struct {
	Operation  string      // the operationId, e.g. "getConnection"
	StatusCode int         // the HTTP status
	Problem    *Problem    // the parsed problem document; nil when the body is not one
	Body       []byte      // the raw body, at most 64 KiB
	Header     http.Header // the response headers
	Attempts   int         // how many attempts the call made

	secret *string // the API key, removed from Error(); a pointer so that %#v prints no key
}

// RequestID returns the server's ID for the failed request (from the problem, else the X-Request-Id header),
// or "". Quote it when contacting Ampersand support.
func (e *APIError) RequestID() string {
	if e.Problem != nil && e.Problem.RequestID != "" {
		return e.Problem.RequestID
	}
	return e.Header.Get("X-Request-Id")
}

// Error reads like "ampersand: getConnection: 404 Not Found: connection c-1 not found (request r-1)".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ampersand: %s: %d %s", e.Operation, e.StatusCode, http.StatusText(e.StatusCode))
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
	return redact(b.String(), e.secret)
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
	return "ampersand: invalid " + e.Field + ": " + e.Reason
}

// DecodeError is returned when a 2xx body does not decode into the operation's schema (the Go analogue of
// the TypeScript SDK's SDKValidationError). The request may have taken effect on the server.
type DecodeError struct {
	Operation  string
	StatusCode int
	Body       []byte // the start of the body, at most 64 KiB
	Err        error

	secret *string
}

func (e *DecodeError) Error() string {
	return redact(fmt.Sprintf("ampersand: %s: %d %s: decoding the response: %v", e.Operation, e.StatusCode, http.StatusText(e.StatusCode), e.Err), e.secret)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// ConnectionError is returned when no HTTP reply was received (or its body could not be read): a refused
// or reset connection, a DNS or TLS failure, or an attempt that hit the WithTimeout limit. It unwraps to the
// cause, so errors.Is(err, context.DeadlineExceeded) holds for a timeout.
type ConnectionError struct {
	Operation string
	Attempts  int
	Timeout   bool // the last attempt hit the per-attempt timeout (WithTimeout)
	Err       error

	secret *string
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
	return redact(s, e.secret)
}

func (e *ConnectionError) Unwrap() error { return e.Err }

// redact removes the key secret points at from s. Error strings and logs are built from server and
// transport messages, which the SDK does not control; the key must never appear in them.
func redact(s string, secret *string) string {
	if secret == nil || *secret == "" || !strings.Contains(s, *secret) {
		return s
	}
	return strings.ReplaceAll(s, *secret, "[REDACTED]")
}
