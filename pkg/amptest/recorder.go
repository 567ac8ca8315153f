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

// The bounds of the recorder, so that a fake that runs for hours (amp fake serve) stays the same size: it
// keeps the last RecordedRequests requests, each body cut to its first RecordedBodyBytes, and drops the
// oldest sooner when those it keeps would hold more than RecordedBytes (bodies, paths, queries and headers
// counted) — as a few requests with huge headers or URLs would.
const (
	RecordedRequests  = 1000
	RecordedBodyBytes = 16 << 10
	RecordedBytes     = 32 << 20
)

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
	// Body is the request body as received (empty when there was none), cut to its first RecordedBodyBytes
	// bytes.
	Body []byte
	// BodySize is the length of the whole body as received; it exceeds len(Body) when the body was cut.
	BodySize int64
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
		Body:      bytes.Clone(x.body[:min(len(x.body), RecordedBodyBytes)]),
		BodySize:  int64(len(x.body)),
		Time:      s.now(),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.add(req)
}

// Requests returns copies of the last RecordedRequests requests received (since ResetRequests), in arrival
// order. Every request is recorded, including those answered by a fault, a 401, a 400 or a 404; requests
// to the recorder's own endpoints (RequestsPath) are not.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests.copies()
}

// ResetRequests forgets the requests recorded so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = ring{}
}

// ring holds the last requests within the bounds RecordedRequests and RecordedBytes. Its zero value is empty.
type ring struct {
	reqs  []Request // oldest first
	bytes int       // the size of reqs, by size
}

func (r *ring) add(req Request) {
	r.reqs = append(r.reqs, req)
	r.bytes += size(&req)
	for len(r.reqs) > 1 && (len(r.reqs) > RecordedRequests || r.bytes > RecordedBytes) {
		r.bytes -= size(&r.reqs[0])
		r.reqs[0] = Request{} // the backing array must not keep what was dropped
		r.reqs = r.reqs[1:]
	}
}

// copies returns deep copies of the requests, oldest first.
func (r *ring) copies() []Request {
	out := make([]Request, len(r.reqs))
	for i, req := range r.reqs {
		out[i] = req.clone()
	}
	return out
}

// size is roughly the memory a recorded request holds: its body, its path and query (twice, parsed) and its
// headers.
func size(r *Request) int {
	n := len(r.Body) + 2*(len(r.Path)+len(r.RawQuery))
	for k, vs := range r.Header {
		n += len(k)
		for _, v := range vs {
			n += len(v)
		}
	}
	return n
}
