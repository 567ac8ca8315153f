package amptest

import (
	"bytes"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Redacted replaces the value of the X-Api-Key header in recorded requests.
const Redacted = "[REDACTED]"

// Request is a request as the server received it, recorded for assertions.
type Request struct {
	// Operation is the operation or browser step (OpOAuthConsent, …) the request was routed to, or
	// AnyOperation ("") when it matched none.
	Operation Operation
	// Method is the HTTP method.
	Method string
	// Path is the path exactly as received, still percent-encoded: a connection ID "a/b" appears as
	// ".../connections/a%2Fb".
	Path string
	// RawQuery is the query string as received, without the "?".
	RawQuery string
	// Query is RawQuery parsed; values that do not parse are left out.
	Query url.Values
	// Header holds the request headers; the value of X-Api-Key is replaced by Redacted.
	Header http.Header
	// Body is the request body as received (empty when there was none).
	Body []byte
	// Time is when the request arrived, by the server's clock (see WithClock).
	Time time.Time
}

// clone returns a deep copy of r.
func (r Request) clone() Request {
	r.Query = maps.Clone(r.Query)
	for k, v := range r.Query {
		r.Query[k] = slices.Clone(v)
	}
	r.Header = r.Header.Clone()
	r.Body = bytes.Clone(r.Body)
	return r
}

// record appends the request of x to the recorder.
func (s *Server) record(x *exchange) {
	path, rawQuery, _ := strings.Cut(x.r.RequestURI, "?")
	if !strings.HasPrefix(path, "/") { // absolute-form request target
		path, rawQuery = x.r.URL.EscapedPath(), x.r.URL.RawQuery
	}
	query, _ := url.ParseQuery(rawQuery)
	header := x.r.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	for k := range header {
		if http.CanonicalHeaderKey(k) == "X-Api-Key" {
			header[k] = []string{Redacted}
		}
	}
	req := Request{
		Operation: x.op,
		Method:    x.r.Method,
		Path:      path,
		RawQuery:  rawQuery,
		Query:     query,
		Header:    header,
		Body:      bytes.Clone(x.body),
		Time:      s.now(),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
}

// Requests returns copies of the requests received so far, in arrival order. Every request is recorded,
// including those answered by a fault, a 401, a 400 or a 404.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.clone()
	}
	return out
}

// ResetRequests forgets the requests recorded so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}
