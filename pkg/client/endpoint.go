package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// operation is what the pipeline knows of an API operation.
type operation struct {
	id         string   // the operationId, in errors, logs and traces
	method     string   // the HTTP method
	route      string   // the path template under the server URL, as in the spec
	accept     []string // the Accept header: exactly the media types of the operation's replies in the spec
	idempotent bool     // repeating it is safe: retried after any retryable failure (see retryable)
	maxBody    int64    // the default limit on its success body
	streaming  bool     // its results are yielded as they are decoded (All): MaxElapsedTime bounds only the retries
}

// endpoint is the whole description of one operation, written once (connections.go, connect.go): the
// operation, the checks a request must pass before any I/O, the parts of its HTTP request, and how a success
// body becomes its result. Req is the SDK's request struct, Res the result.
type endpoint[Req, Res any] struct {
	operation
	project func(*Req) string   // the project the request addresses (hooks, traces); nil: the first path value
	path    func(*Req) []string // route's parameters as field name, value pairs, in order; nil: none
	query   func(*Req) []string // the query parameters as name, value pairs; empty values are not sent
	body    func(*Req) any      // the JSON request body; nil: none
	check   func(*Req) error
	decode  func(reply, *Res) error // nil: the SDK reads no success body
}

// reply is a success reply as a decoder sees it.
type reply struct {
	body   io.Reader  // the body, under its size limit
	length int64      // its announced length, capped at the limit; ≤ 0 when unknown
	server *serverURL // the configured server (a returned URL is checked against it)
	rep    *report    // where the decoder records issues
	// A streaming decoder sets *handedOut once it has yielded results: a failure after that is final, so that
	// nothing is yielded twice.
	handedOut *bool
}

// call runs e for req: the checks, the request, then the pipeline (config.run).
func (e *endpoint[Req, Res]) call(ctx context.Context, c *Client, req Req, opts []Option) (Res, error) {
	var out Res
	var path []string
	if e.path != nil {
		path = e.path(&req)
	}
	for i := 0; i+1 < len(path); i += 2 {
		if err := checkID(path[i], path[i+1]); err != nil {
			return out, err
		}
	}
	if e.check != nil {
		if err := e.check(&req); err != nil {
			return out, err
		}
	}
	cfg, err := c.forCall(ctx, opts)
	if err != nil {
		return out, err
	}
	hr, err := e.request(cfg.server, &req, path)
	if err != nil {
		return out, fmt.Errorf("ampersand: %s: building the request: %w", e.id, err)
	}
	var decode func(reply) error
	if e.decode != nil {
		decode = func(r reply) error { return e.decode(r, &out) }
	}
	project := ""
	if e.project != nil {
		project = e.project(&req)
	} else if len(path) > 1 {
		project = path[1]
	}
	if err := cfg.run(ctx, &e.operation, project, hr, decode); err != nil {
		var zero Res
		return zero, err
	}
	return out, nil
}

// request builds the HTTP request of req: the server URL, the route with its parameters expanded, the query,
// and the body as JSON.
func (e *endpoint[Req, Res]) request(s *serverURL, req *Req, path []string) (*http.Request, error) {
	var target strings.Builder // the whole URL, written once
	target.Grow(len(s.prefix) + len(e.route) + 64)
	target.WriteString(s.prefix)
	expand(&target, e.route, path)
	if e.query != nil {
		sep := byte('?')
		for q, i := e.query(req), 0; i+1 < len(q); i += 2 {
			if q[i+1] != "" {
				target.WriteByte(sep)
				target.WriteString(q[i])
				target.WriteByte('=')
				target.WriteString(url.QueryEscape(q[i+1]))
				sep = '&'
			}
		}
	}
	var body io.Reader
	if e.body != nil {
		data, err := json.Marshal(e.body(req))
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(data) // NewRequest sets GetBody: retries resend it
	}
	hr, err := http.NewRequest(e.method, target.String(), body)
	if err == nil && body != nil {
		hr.Header["Content-Type"] = jsonContentType
	}
	return hr, err
}

var jsonContentType = []string{"application/json"}

// expand writes route to b with its parameters filled with the values of path (field name, value pairs) as
// OpenAPI path parameters are expanded (RFC 6570 simple expansion): every byte but the unreserved ones
// (letters, digits, "-", ".", "_", "~") is percent-encoded, so that an ID is exactly one path segment and ":"
// in the ID "x:oauth-update" cannot be read as the custom method of ".../{connectionId}:oauth-update".
// url.Parse keeps the escaping (URL.RawPath), and net/http sends it as is.
func expand(b *strings.Builder, route string, path []string) {
	const hex = "0123456789ABCDEF"
	rest := route
	for i := 1; i < len(path); i += 2 {
		open, end := strings.IndexByte(rest, '{'), strings.IndexByte(rest, '}')
		b.WriteString(rest[:open])
		for _, c := range []byte(path[i]) {
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
				b.WriteByte(c)
			} else {
				b.WriteByte('%')
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			}
		}
		rest = rest[end+1:]
	}
	b.WriteString(rest)
}

// requireFields refuses empty required strings, given as name, value pairs (prefix is prepended to names).
func requireFields(prefix string, nameValues ...string) error {
	for i := 0; i+1 < len(nameValues); i += 2 {
		if nameValues[i+1] == "" {
			return &ValidationError{Field: prefix + nameValues[i], Reason: "is required"}
		}
	}
	return nil
}

// checkID refuses IDs that cannot name a resource: "" and the dot segments "." and ".." (URL resolution
// would turn them into another URL), and strings with ASCII control characters or invalid UTF-8 (no
// Ampersand ID has them, and they are a log-injection risk). Every other string — with "/", "?", "#", "%",
// spaces, ":", non-ASCII letters, of any length — is percent-escaped into exactly one path segment as RFC
// 6570 simple expansion escapes (every byte but letters, digits, "-", ".", "_" and "~"; see expand) and
// reaches the server byte for byte.
func checkID(field, id string) error {
	switch id {
	case "":
		return &ValidationError{Field: field, Reason: "is empty"}
	case ".", "..":
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%q would address another URL", id)}
	}
	if !utf8.ValidString(id) {
		return &ValidationError{Field: field, Reason: "is not valid UTF-8"}
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] == 0x7f {
			return &ValidationError{Field: field, Reason: fmt.Sprintf("contains the control character %q at byte %d", id[i], i)}
		}
	}
	return nil
}
