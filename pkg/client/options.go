package client

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Option configures a Client (given to New: the client's defaults) or a single call (given to a method or
// standalone function: overrides for that call only). Every option works in both places:
//
//	c, _ := client.New(client.WithTimeout(10*time.Second))
//	conn, err := c.Connections.Get(ctx, req, client.WithTimeout(time.Minute), client.WithoutRetries())
type Option func(*config) error

// Compose makes one option of several, applied in order (nil ones are skipped, as by New): a package that
// configures the client in more than one way — ampotel.Instrument adds hooks and middleware — can hand out a
// single option, and a service can name its preset.
//
//	standard := client.Compose(client.WithTimeout(5*time.Second), client.WithHeader("X-Team", "billing"))
func Compose(opts ...Option) Option {
	opts = slices.Clone(opts)
	return func(c *config) error { return c.apply(opts) }
}

// apply applies opts to c in order, skipping nil ones.
func (c *config) apply(opts []Option) error {
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(c); err != nil {
			return err
		}
	}
	return nil
}

// config is everything an Option can set: the request configuration, in one place.
type config struct {
	key          apiKey     // printed as [REDACTED] whatever the verb, and reached only through this pointer
	server       *serverURL // nil in New until the options are applied: then WithServerURL was not given
	doer         HTTPDoer
	retry        retrier // the retry policy and the client's retry budget
	timeout      time.Duration
	header       http.Header
	logger       *slog.Logger
	editors      []func(context.Context, *http.Request) error
	hooks        []Hooks
	middleware   []Middleware
	chain        MiddlewareNext // the middleware and the doer, linked (nil without middleware)
	responseInto **http.Response
	insecureHTTP bool
	retryUnsafe  bool
	strict       bool  // WithStrictDecoding
	maxBodyBytes int64 // 0: the operation's default
}

// clone returns a copy of c that shares no slice or map with it, so that a call's options change only the
// call's configuration (TestCloneSharesNothing checks every field).
func (c *config) clone() *config {
	cp := *c
	cp.header = c.header.Clone()
	cp.editors = slices.Clone(c.editors)
	cp.hooks = slices.Clone(c.hooks)
	cp.middleware = slices.Clone(c.middleware)
	cp.retry.StatusCodes = slices.Clone(c.retry.StatusCodes)
	return &cp
}

// HTTPDoer sends an HTTP request: *http.Client implements it, and so do most HTTP middleware clients.
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// WithAPIKey sets the API key sent in the X-Api-Key header. Without it, New reads the AMPERSAND_API_KEY
// environment variable. Surrounding whitespace is removed (net/http would trim it on the wire, and the SDK
// redacts the key as sent); an empty key, or one holding a control character, is refused.
func WithAPIKey(key string) Option {
	return func(c *config) error {
		key = strings.TrimSpace(key)
		if key == "" {
			return &ValidationError{Field: "APIKey", Reason: "is empty"}
		}
		if strings.ContainsFunc(key, unicode.IsControl) {
			return &ValidationError{Field: "APIKey", Reason: "contains a control character"}
		}
		c.key = newAPIKey(key)
		return nil
	}
}

// DefaultServerURL is the Ampersand API's base URL.
const DefaultServerURL = "https://api.withampersand.com/v1"

// WithServerURL sets the API's base URL, for example the URL of an amptest fake server. It must be an
// absolute http or https URL without query or fragment. The API key is sent to this origin (scheme, host and
// port) only, and over plain http only on a connection straight to a loopback host — the exact name localhost
// or a loopback IP, not through a proxy (see WithHTTPClient) — unless WithInsecureHTTP is given. An empty raw
// means "not set", so WithServerURL(os.Getenv("MY_URL")) is safe: the server URL then comes, in this order,
// from a call's option, the client's option, the AMPERSAND_SERVER_URL environment variable (read by New),
// and DefaultServerURL.
func WithServerURL(raw string) Option {
	return func(c *config) error {
		if raw == "" {
			return nil
		}
		s, err := parseServerURL("ServerURL", raw)
		if err != nil {
			return err
		}
		c.server = s
		return nil
	}
}

// WithInsecureHTTP allows sending the API key over plain http to a host that is not loopback (for example a
// fake server in another container), or through a proxy. Without it such a server URL is refused.
func WithInsecureHTTP() Option {
	return func(c *config) error { c.insecureHTTP = true; return nil }
}

// WithHTTPClient replaces the HTTP client entirely (the default one has bounded dial, TLS and response
// header timeouts and a connection pool sized for concurrent use). An *http.Client is copied, never
// modified: the copy gets a redirect policy that drops the API key on any hop to another origin, then runs
// the client's own CheckRedirect. For a plain http server, its transport's Proxy function (for an
// *http.Transport, or http.DefaultTransport when Transport is nil) must send the server's URL to no proxy, else
// New, or the call given the option, fails with a *ValidationError. Any other HTTPDoer is used as is: it is
// responsible for its redirects, and for keeping a plain http request off proxies (Go's ProxyFromEnvironment
// does, for every host the SDK accepts).
func WithHTTPClient(doer HTTPDoer) Option {
	return func(c *config) error {
		if doer == nil {
			return &ValidationError{Field: "HTTPClient", Reason: "is nil"}
		}
		if hc, ok := doer.(*http.Client); ok {
			doer = guardRedirects(hc)
		}
		c.doer = doer
		return nil
	}
}

// WithRetryConfig sets the retry policy (see RetryConfig and DefaultRetryConfig).
func WithRetryConfig(rc RetryConfig) Option {
	return func(c *config) error {
		if err := rc.validate(); err != nil {
			return err
		}
		rc.StatusCodes = slices.Clone(rc.StatusCodes) // the caller may reuse its slice
		c.retry.RetryConfig = rc
		return nil
	}
}

// WithoutRetries makes each call a single attempt.
func WithoutRetries() Option {
	return func(c *config) error { c.retry.Strategy = RetryNone; return nil }
}

// WithoutRetryBudget turns the retry budget off (see RetryConfig.BudgetCapacity): for a client given to New,
// which then has none; for the one call it is given to, which then retries as its RetryConfig says whatever
// the budget holds. Retries are still bounded by MaxAttempts and MaxElapsedTime.
func WithoutRetryBudget() Option {
	return func(c *config) error { c.retry.BudgetCapacity = 0; return nil }
}

// WithRetryNonIdempotent lets a generate call be retried like the idempotent operations: on any retried
// status and on connection errors after the request may have been sent. Without it, generate is retried
// only when the server cannot have created the connection (429, 503, a problem with retryable: true, or a
// connection that failed before the request was written), because a retry could create a second
// connection. Give it per call, when a duplicate is harmless or you reconcile afterwards:
//
//	conn, err := c.Connections.Generate(ctx, req, client.WithRetryNonIdempotent())
func WithRetryNonIdempotent() Option {
	return func(c *config) error { c.retryUnsafe = true; return nil }
}

// WithTimeout bounds each attempt (connection, request and reading the response). The context bounds the
// whole call, retries and waits included. An attempt that times out is retried like a connection error.
// 0 means no per-attempt limit (the default).
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return &ValidationError{Field: "Timeout", Reason: "must not be negative"}
		}
		c.timeout = d
		return nil
	}
}

// WithHeader sets a header on every request. X-Api-Key cannot be set this way (use WithAPIKey, whose value
// the SDK keeps away from other origins, logs and errors).
func WithHeader(key, value string) Option {
	return func(c *config) error {
		if http.CanonicalHeaderKey(key) == "X-Api-Key" {
			return &ValidationError{Field: "Header", Reason: "set the API key with WithAPIKey, not WithHeader"}
		}
		if key == "" || strings.ContainsAny(key+value, "\r\n") {
			return &ValidationError{Field: "Header", Reason: fmt.Sprintf("invalid header %q", key)}
		}
		if c.header == nil {
			c.header = http.Header{}
		}
		c.header.Set(key, value)
		return nil
	}
}

// WithLogger logs each attempt, response and retry decision at debug level (and failures at warn level)
// to l. The API key is printed as [REDACTED].
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error { c.logger = l; return nil }
}

// WithRequestEditor runs fn on every attempt's request just before it is sent, after the SDK has set its
// headers. An error from fn ends the call without sending.
func WithRequestEditor(fn func(context.Context, *http.Request) error) Option {
	return func(c *config) error {
		if fn == nil {
			return &ValidationError{Field: "RequestEditor", Reason: "is nil"}
		}
		c.editors = append(c.editors, fn)
		return nil
	}
}

// WithResponseInto stores the last raw HTTP response of the call in *dst (its body already consumed), for
// headers and status the SDK does not surface otherwise.
func WithResponseInto(dst **http.Response) Option {
	return func(c *config) error {
		if dst == nil {
			return &ValidationError{Field: "ResponseInto", Reason: "is nil"}
		}
		c.responseInto = dst
		return nil
	}
}

// Default limits on a success response body (see WithMaxResponseBytes): a single connection is 1–2 KB, so
// 1 MiB is ample for every operation but a list; a list's default holds about 350,000 connections.
const (
	DefaultMaxResponseBytes     = 1 << 20   // every operation but listConnections
	DefaultMaxListResponseBytes = 256 << 20 // listConnections
)

// WithMaxResponseBytes limits how many bytes of a success response body are read, for every operation
// (defaults: DefaultMaxListResponseBytes for a list, DefaultMaxResponseBytes for the others). A longer body
// fails the call with a DecodeError. Error bodies are always capped at 64 KiB. Whatever the limit, decoding
// a body allocates at most 4 bytes per body byte plus 16 MiB (see RELIABILITY.md): a body that would take
// more fails with a DecodeError.
func WithMaxResponseBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return &ValidationError{Field: "MaxResponseBytes", Reason: "must be positive"}
		}
		c.maxBodyBytes = n
		return nil
	}
}
