package amptest

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/routers"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// maxRequestBody is the largest request body the server reads; a larger one is answered with 413.
const maxRequestBody = 1 << 20

// Server is a running in-memory fake of the Ampersand connections API. Create it with NewServer and stop it
// with Close. All of its methods are safe for concurrent use.
type Server struct {
	// URL is the API base URL, ending in /v1 (for example http://127.0.0.1:41234/v1): use it where the real
	// API's https://api.withampersand.com/v1 would go. The browser steps of the connect flows are on the same
	// origin, outside /v1 (see the package documentation).
	URL string
	// APIKey is the key every request must send in the X-Api-Key header.
	APIKey string

	ts        *httptest.Server
	origin    string // scheme and host of the server (URL without /v1): where the browser steps are
	router    *router
	clock     func() time.Time
	done      chan struct{} // closed by Close: ends pending fault delays
	closeOnce sync.Once
	hooks     *deliverer // sends the lifecycle notifications (webhooks.go)

	mu       sync.Mutex // guards st, faults and requests
	st       *store
	faults   []*faultEntry
	requests ring
}

// Option configures a Server; pass options to NewServer.
type Option func(*config)

type config struct {
	apiKey   string
	clock    func() time.Time
	projects []Project
	listener net.Listener
	hooks    webhookConfig
	redirect string // WithOAuthRedirectURL
	errs     []error
}

// WithAPIKey sets the API key the server accepts. The default is a random key "amptest-<hex>"; either way it
// is available as Server.APIKey. An empty key makes NewServer panic.
func WithAPIKey(key string) Option {
	return func(c *config) {
		if key == "" {
			c.errs = append(c.errs, errors.New("WithAPIKey: the key must not be empty"))
			return
		}
		c.apiKey = key
	}
}

// WithClock sets the function the server reads the time from, for deterministic timestamps (createTime,
// updateTime, token issue and expiry, problem times and the recorder). The default is time.Now. Times are
// stored in UTC. Fault delays always use real time. A nil function makes NewServer panic.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now == nil {
			c.errs = append(c.errs, errors.New("WithClock: the clock must not be nil"))
			return
		}
		c.clock = now
	}
}

// WithProject creates a project up front, so that its ID is known (connections carry it as projectId) and it
// can be addressed by either its ID or its name. An empty ID is replaced by a random UUID. Projects that are
// not declared are created on first use, named by the identifier used, with a random ID.
//
// NewServer panics when a project has neither ID nor name, or when an ID or name is used twice.
func WithProject(p Project) Option {
	return func(c *config) {
		if p.ID == "" && p.Name == "" {
			c.errs = append(c.errs, errors.New("WithProject: a project needs an ID or a name"))
			return
		}
		c.projects = append(c.projects, p)
	}
}

// Project identifies an Ampersand project in the fake. Requests address it by ID or by name.
type Project struct {
	// ID is the project ID, reported as projectId in connections, groups and consumers.
	ID string
	// Name is the project name; it may be empty.
	Name string
}

// NewServer starts a fake Ampersand API on a loopback address, like httptest.NewServer, and returns it. Call
// Close when done, typically with t.Cleanup(srv.Close).
//
// It panics when an option is invalid or the embedded OpenAPI document cannot be loaded.
func NewServer(opts ...Option) *Server {
	cfg := config{clock: time.Now}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.apiKey == "" {
		cfg.apiKey = "amptest-" + randomHex(16)
	}
	router, err := apiRouter()
	if err != nil {
		cfg.errs = append(cfg.errs, err)
	}
	st := newStore()
	st.redirect = cfg.redirect
	for _, p := range cfg.projects {
		if err := st.declare(p); err != nil {
			cfg.errs = append(cfg.errs, fmt.Errorf("WithProject: %w", err))
		}
	}
	if err := errors.Join(cfg.errs...); err != nil {
		panic("amptest: NewServer: " + err.Error())
	}
	s := &Server{
		APIKey: cfg.apiKey,
		router: router,
		clock:  cfg.clock,
		done:   make(chan struct{}),
		st:     st,
		hooks:  newDeliverer(cfg.hooks),
	}
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	if cfg.listener != nil {
		s.ts.Listener.Close()
		s.ts.Listener = cfg.listener
	}
	// What Start makes ts.URL, set before: with WithListener, requests may arrive as soon as it starts.
	s.origin = originOf(s.ts.Listener.Addr())
	s.ts.Start()
	s.URL = s.origin + apiBasePath
	return s
}

// CloseGrace is how long Close waits for the requests in progress before it closes their connections.
const CloseGrace = 2 * time.Second

// Close shuts the server down: it stops accepting connections, ends pending fault delays and webhook
// deliveries at once, waits up to CloseGrace for the requests in progress to finish, then closes the
// connections of those still running (a client stalled in the middle of a body, say) and returns once their
// handlers have. Close may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.hooks.stop()
		closed := make(chan struct{})
		go func() { s.ts.Close(); close(closed) }()
		grace := time.NewTimer(CloseGrace)
		defer grace.Stop()
		select {
		case <-closed:
		case <-grace.C:
			s.ts.CloseClientConnections()
			<-closed
		}
	})
}

// now returns the server's current time in UTC (which also drops the monotonic clock reading).
func (s *Server) now() time.Time { return s.clock().UTC() }

// exchange is one request being served.
type exchange struct {
	r         *http.Request
	body      []byte
	route     *routers.Route // nil when no operation matched
	params    map[string]string
	op        Operation
	browser   bool // a browser step (see browserSteps), not an API operation
	requestID string
}

// resetBody makes the request body readable again from the start.
func (x *exchange) resetBody() {
	x.r.Body = io.NopCloser(bytes.NewReader(x.body))
	x.r.ContentLength = int64(len(x.body))
	x.r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(x.body)), nil }
}

// reply is a complete response, built before anything is written so that it can be validated, replaced by a
// fault or cut short.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// write sends rp to w with its Content-Length and the X-Request-Id header.
func (rp *reply) write(w http.ResponseWriter, requestID string) {
	h := w.Header()
	for k, v := range rp.header {
		h[k] = v
	}
	h.Set("X-Request-Id", requestID)
	if rp.status != http.StatusNoContent {
		h.Set("Content-Length", strconv.Itoa(len(rp.body)))
	}
	w.WriteHeader(rp.status)
	_, _ = w.Write(rp.body)
}

// handle serves one request: read, route, record, fault, then the regular pipeline.
func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if isControl(r) {
		s.serveControl(w, r)
		return
	}
	x := &exchange{r: r, requestID: newUUID()}
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	x.body = body
	x.resetBody()

	var routeErr error
	if step, ok := browserSteps[r.URL.Path]; ok {
		x.browser = true
		if x.op = browserStepOf(step, r); x.op == "" {
			routeErr = routers.ErrMethodNotAllowed
		}
	} else {
		var route *routers.Route
		var params map[string]string
		if route, params, routeErr = s.findRoute(r); routeErr == nil {
			x.route, x.params, x.op = route, params, Operation(route.Operation.OperationID)
		}
	}
	s.record(x)

	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(readErr, &tooLarge):
		s.problem(x, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("request body is larger than %d bytes", maxRequestBody)).write(w, x.requestID)
		return
	case readErr != nil:
		// Bad chunk framing, a body cut short or shorter than its Content-Length: never a success, which a
		// silent return would be (net/http would answer 200). The connection cannot be reused.
		w.Header().Set("Connection", "close")
		s.problem(x, http.StatusBadRequest, "the request body could not be read: "+readErr.Error()).write(w, x.requestID)
		return
	case routeErr != nil && x.browser:
		allow := browserAllow(r.URL.Path)
		rp := browserPage(http.StatusMethodNotAllowed, "", "Method not allowed", "Open this page with "+allow+".")
		rp.header.Set("Allow", allow)
		rp.write(w, x.requestID)
		return
	case routeErr != nil:
		s.routeProblem(x, routeErr).write(w, x.requestID)
		return
	}
	if f, ok := s.takeFault(x.op); ok {
		s.applyFault(w, x, f)
		return
	}
	s.run(x).write(w, x.requestID)
}

// run builds the reply of a routed request: the regular pipeline of an API operation, or a browser step.
func (s *Server) run(x *exchange) *reply {
	if x.browser {
		return s.browserStep(x)
	}
	return s.serve(x)
}

// serve runs the regular pipeline for a routed request: authentication, validation, content negotiation (see
// notAcceptable), the operation, and the validation of the reply, whichever step produced it, against the
// spec.
func (s *Server) serve(x *exchange) *reply {
	rp := s.authenticate(x)
	if rp == nil {
		if issues := validateRequest(x); len(issues) > 0 {
			rp = s.invalidRequest(x, issues)
		}
	}
	if rp == nil {
		rp = s.notAcceptable(x)
	}
	if rp == nil {
		rp = s.dispatch(x)
	}
	if err := validateReply(x, rp); err != nil {
		return s.problem(x, http.StatusInternalServerError, "amptest: invalid response: "+err.Error())
	}
	return rp
}

// authenticate answers 401 unless the request carries the server's API key in X-Api-Key.
func (s *Server) authenticate(x *exchange) *reply {
	key, present := x.r.Header["X-Api-Key"]
	switch {
	case !present || len(key) == 0 || key[0] == "":
		return s.problem(x, http.StatusUnauthorized, "missing X-Api-Key header")
	case len(key) > 1 || subtle.ConstantTimeCompare([]byte(key[0]), []byte(s.APIKey)) != 1:
		return s.problem(x, http.StatusUnauthorized, "invalid API key in X-Api-Key header")
	}
	return nil
}

// findRoute finds the operation of r (see router).
func (s *Server) findRoute(r *http.Request) (*routers.Route, map[string]string, error) {
	return s.router.FindRoute(r)
}

// routeProblem answers a request that matches no operation: 405 with Allow when the path exists under other
// methods, 404 otherwise.
func (s *Server) routeProblem(x *exchange, routeErr error) *reply {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		probe := *x.r
		probe.Method = m
		if _, _, err := s.findRoute(&probe); err == nil {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		rp := s.problem(x, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s; use %s",
			x.r.Method, x.r.URL.EscapedPath(), strings.Join(allowed, ", ")))
		rp.header.Set("Allow", strings.Join(allowed, ", "))
		return rp
	}
	detail := fmt.Sprintf("no API operation at %s %s (%v)", x.r.Method, x.r.URL.EscapedPath(), routeErr)
	if !strings.HasPrefix(x.r.URL.Path, apiBasePath+"/") {
		detail += "; every operation is under " + apiBasePath + ": does the server URL lack it?"
	}
	return s.problem(x, http.StatusNotFound, detail)
}

// problem builds an application/problem+json reply for status with the fields every problem of the fake
// carries.
func (s *Server) problem(x *exchange, status int, detail string) *reply {
	return problemReply(s.newProblem(x, status, detail))
}

// invalidRequest answers a request that breaks the spec with its issues: 422 where the operation declares a
// 422 reply (generateConnection, which declares both 400 and 422 for invalid input, as Prism chooses on
// Ampersand's document), 400 otherwise.
func (s *Server) invalidRequest(x *exchange, issues []client.InputValidationIssue) *reply {
	status := http.StatusBadRequest
	if x.route.Operation.Responses.Status(http.StatusUnprocessableEntity) != nil {
		status = http.StatusUnprocessableEntity
	}
	p := s.newProblem(x, status, "the request does not match the API specification")
	p.Issues = issues
	return problemReply(p)
}

// invalid builds a 400 InputValidationProblem reply with issues.
func (s *Server) invalid(x *exchange, detail string, issues []client.InputValidationIssue) *reply {
	p := s.newProblem(x, http.StatusBadRequest, detail)
	p.Issues = issues
	return problemReply(p)
}

func (s *Server) newProblem(x *exchange, status int, detail string) client.Problem {
	// The fake's own problems are never worth retrying: 4xx are the caller's mistake, and its only 5xx (an
	// invalid reply) is a bug in the fake that a retry would hit again.
	retryable := false
	return client.Problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    int32(status),
		Detail:    detail,
		Subsystem: "amptest",
		Time:      s.now(),
		RequestID: x.requestID,
		Retryable: &retryable,
	}
}

func problemReply(p client.Problem) *reply {
	rp := jsonReply(int(p.Status), p)
	rp.header.Set("Content-Type", "application/problem+json")
	return rp
}

// jsonReply encodes v as an application/json reply. Encoding the generated models cannot fail; if it ever
// did, the reply is a 500 problem saying why.
func jsonReply(status int, v any) *reply {
	body, err := marshalJSON(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(fmt.Sprintf(`{"type":"about:blank","title":"Internal Server Error","status":500,`+
			`"detail":%q,"subsystem":"amptest","retryable":false}`+"\n", "amptest: encoding the reply: "+err.Error()))
		return &reply{status: status, header: http.Header{"Content-Type": {"application/problem+json"}}, body: body}
	}
	return &reply{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: body}
}
