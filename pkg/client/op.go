package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// operation is what the pipeline knows of an API operation.
type operation struct {
	id         string // the operationId, in errors, logs and traces
	method     string // the HTTP method and path template, in traces
	route      string
	accept     []string // the Accept header: exactly the media types of the operation's replies in the spec
	idempotent bool     // repeating it is safe: retried after any retryable failure (see retryable)
	maxBody    int64    // the default limit on its success body
	streaming  bool     // its results are yielded as they are decoded (All): MaxElapsedTime bounds only the retries
}

// endpoint is the whole description of one operation, written once (see connections.go): the operation,
// the checks a request must pass before any I/O, how its HTTP request is built, and how a success body
// becomes its result. Req is the SDK's request struct, Res the result.
type endpoint[Req, Res any] struct {
	operation
	project func(req *Req) string   // the project the request addresses (for hooks and traces)
	path    func(req *Req) []string // the values of route's path parameters, in the route's order; nil: none
	check   func(req *Req) error
	build   func(server string, req *Req) (*http.Request, error)
	decode  func(r reply, out *Res) error // nil: the SDK reads no success body
}

// reply is a success reply as a decoder sees it.
type reply struct {
	body   io.Reader  // the body, under its size limit
	length int64      // its announced length, capped at the limit; ≤ 0 when unknown
	server *serverURL // the configured server (a returned URL is checked against it)
	rep    *report    // where the decoder records issues
}

// call runs e for req: the checks, then the pipeline (Client.do) with e's builder and decoder.
func (e *endpoint[Req, Res]) call(ctx context.Context, c *Client, req Req, opts []Option) (Res, error) {
	var out Res
	if e.check != nil {
		if err := e.check(&req); err != nil {
			return out, err
		}
	}
	var decode func(reply) error
	if e.decode != nil {
		decode = func(r reply) error { return e.decode(r, &out) }
	}
	build := func(server string) (*http.Request, error) {
		hr, err := e.build(server, &req)
		if err == nil && e.path != nil {
			err = escapePath(hr.URL, e.route, e.path(&req))
		}
		return hr, err
	}
	if err := c.do(ctx, &e.operation, e.project(&req), opts, build, decode); err != nil {
		var zero Res
		return zero, err
	}
	return out, nil
}

// escapePath gives u the escaped path of route with values as OpenAPI path parameters are expanded (RFC
// 6570 simple expansion): every byte but the unreserved ones (letters, digits, "-", ".", "_", "~") is
// percent-encoded. gen escapes with url.PathEscape, which keeps ":" and the sub-delims ("+", "&", "=", "@",
// "$", ",", ";", "!", …) as they are, so that the connection "x:oauth-update" would read as the custom method
// of route ".../{connectionId}:oauth-update". u.Path, as gen built it, must end with route filled with the
// plain values; u keeps it and gets the matching RawPath, which net/http sends.
func escapePath(u *url.URL, route string, values []string) error {
	if !slices.ContainsFunc(values, needsEscape) {
		return nil // nothing to escape (the common case, IDs such as UUIDs): gen's path is the same
	}
	var raw, plain strings.Builder
	rest := route
	for _, v := range values {
		open, end := strings.IndexByte(rest, '{'), strings.IndexByte(rest, '}')
		if open < 0 || end < open {
			return fmt.Errorf("route %s has fewer than %d parameters", route, len(values))
		}
		raw.WriteString(rest[:open])
		plain.WriteString(rest[:open])
		for i := 0; i < len(v); i++ {
			if unreserved(v[i]) {
				raw.WriteByte(v[i])
			} else {
				fmt.Fprintf(&raw, "%%%02X", v[i])
			}
		}
		plain.WriteString(v)
		rest = rest[end+1:]
	}
	raw.WriteString(rest)
	plain.WriteString(rest)
	prefix, ok := strings.CutSuffix(u.Path, plain.String())
	if !ok || strings.Contains(rest, "{") {
		return fmt.Errorf("the path %q does not end with route %s filled with the %d values given", u.Path, route, len(values))
	}
	u.RawPath = (&url.URL{Path: prefix}).EscapedPath() + raw.String()
	return nil
}

// needsEscape reports whether v has a byte that is not unreserved in RFC 3986.
func needsEscape(v string) bool {
	for i := 0; i < len(v); i++ {
		if !unreserved(v[i]) {
			return true
		}
	}
	return false
}

// unreserved reports whether c is unreserved in RFC 3986 (ALPHA / DIGIT / "-" / "." / "_" / "~").
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}
