package amptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// harness is a Server with a client whose every exchange is checked against the spec.
type harness struct {
	t      *testing.T
	srv    *Server
	client *http.Client
}

func newHarness(t *testing.T, opts ...Option) *harness {
	t.Helper()
	srv := NewServer(opts...)
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &harness{t: t, srv: srv, client: &http.Client{Transport: &specCheckingTransport{t: t, next: tr}}}
}

// response is a reply read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

// request builds a request to the server; body is nil (none), a string or []byte (raw JSON) or a value to
// encode. The API key is set unless an edit removes it.
func (h *harness) request(ctx context.Context, method, path string, body any) *http.Request {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatalf("encoding the request body: %v", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatalf("building %s %s: %v", method, path, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Api-Key", h.srv.APIKey)
	return req
}

// send sends a request through the spec-checking client and reads the reply.
func (h *harness) send(method, path string, body any, edits ...func(*http.Request)) response {
	h.t.Helper()
	req := h.request(context.Background(), method, path, body)
	for _, edit := range edits {
		edit(req)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s %s: reading the reply: %v", method, path, err)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		h.t.Errorf("%s %s: reply %d has no X-Request-Id", method, path, resp.StatusCode)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

func withHeaderValue(name, value string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

func withoutHeader(name string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Del(name) }
}

func connectionsPath(project string) string {
	return "/projects/" + url.PathEscape(project) + "/connections"
}

func generatePath(project string) string { return connectionsPath(project) + ":generate" }

func connectionPath(project, id string) string {
	return connectionsPath(project) + "/" + url.PathEscape(id)
}

// expectJSON checks the status and content type of r and decodes its body into a T.
func expectJSON[T any](t *testing.T, r response, status int) T {
	t.Helper()
	var v T
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
	return v
}

// decodeProblem checks that r is an application/problem+json reply with this status and decodes it.
func decodeProblem(t *testing.T, r response, status int) client.Problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var p client.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
	return p
}

// expectProblem checks that r is a problem of the fake itself with this status and returns it.
func expectProblem(t *testing.T, r response, status int) client.Problem {
	t.Helper()
	p := decodeProblem(t, r, status)
	switch {
	case p.Type != "about:blank", p.Title != http.StatusText(status), int(p.Status) != status:
		t.Errorf("problem type/title/status = %q/%q/%d, want about:blank/%q/%d",
			p.Type, p.Title, p.Status, http.StatusText(status), status)
	case p.Detail == "", p.Subsystem != "amptest", p.Time.IsZero():
		t.Errorf("problem lacks detail, subsystem or time: %s", r.body)
	case p.RequestID == "" || p.RequestID != r.header.Get("X-Request-Id"):
		t.Errorf("problem requestId %q, X-Request-Id %q", p.RequestID, r.header.Get("X-Request-Id"))
	case p.Retryable == nil || (status < 500 && *p.Retryable):
		t.Errorf("problem retryable = %v for status %d", p.Retryable, status)
	}
	for _, is := range p.Issues {
		if !is.In.Valid() || is.Detail == "" {
			t.Errorf("issue without location or detail: %+v", is)
		}
	}
	return p
}

// issueKey is an issue reduced to what tests compare.
type issueKey struct{ In, Name string }

func issueKeys(p client.Problem) []issueKey {
	out := make([]issueKey, 0, len(p.Issues))
	for _, is := range p.Issues {
		out = append(out, issueKey{string(is.In), is.Name})
	}
	return out
}

// generate creates a connection over HTTP and returns the 201 reply's connection.
func (h *harness) generate(project string, p client.GenerateConnectionParams) client.Connection {
	h.t.Helper()
	return expectJSON[client.Connection](h.t, h.send(http.MethodPost, generatePath(project), p), http.StatusCreated)
}

func apiKeyParams(ref string) client.GenerateConnectionParams {
	return client.GenerateConnectionParams{
		Provider: "hubspot", GroupRef: "group-" + ref, ConsumerRef: "consumer-" + ref, APIKey: "key-" + ref,
	}
}

// testDoc is the document for the spec check of the tests, loaded independently of the server's.
var testDoc = sync.OnceValues(loadSpec)

// testRoute finds the route of a server-relative request for the spec check, independently of the
// server's router: segment by segment, a template segment "{name}suffix" matching any segment that ends in
// suffix, and the template with the most literal characters winning.
func testRoute(req *http.Request) (*routers.Route, map[string]string, error) {
	doc, err := testDoc()
	if err != nil {
		return nil, nil, err
	}
	path, ok := strings.CutPrefix(req.URL.EscapedPath(), "/v1")
	if !ok {
		return nil, nil, routers.ErrPathNotFound
	}
	var best *routers.Route
	var bestParams map[string]string
	bestLiteral := -1
	got := strings.Split(path, "/")
	for template, item := range doc.Paths.Map() {
		want := strings.Split(template, "/")
		if len(want) != len(got) {
			continue
		}
		params, literal := map[string]string{}, 0
		for i, w := range want {
			prefix, rest, isParam := strings.Cut(w, "{")
			if !isParam {
				if w != got[i] {
					params = nil
					break
				}
				literal += len(w)
				continue
			}
			name, suffix, _ := strings.Cut(rest, "}")
			if !strings.HasPrefix(got[i], prefix) || !strings.HasSuffix(got[i][len(prefix):], suffix) {
				params = nil
				break
			}
			params[name] = strings.TrimSuffix(got[i][len(prefix):], suffix)
			literal += len(prefix) + len(suffix)
		}
		if params != nil && literal > bestLiteral {
			best, bestParams, bestLiteral = &routers.Route{Spec: doc, Path: template, PathItem: item}, params, literal
		}
	}
	if best == nil {
		return nil, nil, routers.ErrPathNotFound
	}
	if best.Operation = best.PathItem.GetOperation(req.Method); best.Operation == nil {
		return nil, nil, routers.ErrMethodNotAllowed
	}
	best.Method = req.Method
	return best, bestParams, nil
}

// checkExchange validates a reply against the spec, given the request that caused it. A reply to a request
// that matches no operation must still be a problem with the reply's status. The browser steps, outside
// /v1, are not API operations: their replies are HTML pages, or redirects.
func checkExchange(req *http.Request, status int, header http.Header, body []byte) error {
	if step, isStep := browserSteps[req.URL.Path]; isStep && (req.Method == http.MethodGet ||
		step == OpOAuthConsent && req.Method == http.MethodPost) {
		if ct := header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			return fmt.Errorf("browser step answered with %q", ct)
		}
		return nil
	}
	local := &http.Request{
		Method: req.Method,
		URL:    &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery},
		Header: req.Header,
	}
	route, params, err := testRoute(local)
	if err != nil {
		var p client.Problem
		if ct := header.Get("Content-Type"); ct != "application/problem+json" {
			return fmt.Errorf("unrouted request answered with %q", ct)
		}
		if err := json.Unmarshal(body, &p); err != nil || int(p.Status) != status {
			return fmt.Errorf("unrouted request answered with %s (%v)", body, err)
		}
		return nil
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: local, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
}

// specCheckingTransport fails the test when a reply does not match the spec.
type specCheckingTransport struct {
	t    *testing.T
	next http.RoundTripper
}

func (c *specCheckingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := checkExchange(req, resp.StatusCode, resp.Header, body); err != nil {
		c.t.Errorf("%s %s: reply %d does not match the spec: %v\n%s", req.Method, req.URL, resp.StatusCode, err, body)
	}
	return resp, nil
}

// rawClient returns a client without the spec check and without keep-alives, for faults: every request gets
// a fresh connection, so a broken one is never retried by the transport.
func (h *harness) rawClient() *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	h.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// manualClock is a clock for WithClock that moves only when told to.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func newManualClock() *manualClock {
	return &manualClock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// waitFor polls cond until it holds, failing the test after 10 seconds. It waits for the server to reach a
// state, never for time to pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
