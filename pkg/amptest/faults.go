package amptest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// Operation names an operation of the connections API by its operationId, or a step of a connect flow that
// the customer's browser performs on the fake (OpOAuthConsent, OpCustomAuthProvider, OpCustomAuthCallback).
type Operation string

// The operations of the connections API, and AnyOperation, which matches all of them.
const (
	OpListConnections    Operation = "listConnections"
	OpGenerateConnection Operation = "generateConnection"
	OpGetConnection      Operation = "getConnection"
	OpUpdateConnection   Operation = "updateConnection"
	OpDeleteConnection   Operation = "deleteConnection"
	OpOAuthConnect       Operation = "oauthConnect"
	OpOAuthUpdate        Operation = "oauthUpdate"
	OpCustomAuthConnect  Operation = "customAuthConnect"
	// AnyOperation makes a fault match every operation of the API, but not the browser steps. In a recorded
	// Request it means that the request matched no operation or step (a 404 or 405); faults never apply to
	// those.
	AnyOperation Operation = ""
)

// The browser steps of the connect flows. They are not API operations: they are served outside /v1, need
// no API key and answer HTML pages that the spec does not describe, but they are recorded and take faults
// like operations (see Server.InjectFault).
const (
	// OpOAuthConsentPage is a browser's GET of an authorization URL of oauthConnect or oauthUpdate (a
	// request that accepts text/html): the provider's consent page, with Allow and Deny. It changes nothing.
	OpOAuthConsentPage Operation = "oauthConsentPage"
	// OpOAuthConsent is the customer's decision and Ampersand's callback in one step: the POST of the
	// consent page's form (Allow or Deny), or a GET of an authorization URL by a client that is not a
	// browser (it does not accept text/html), which grants the consent at once.
	OpOAuthConsent Operation = "oauthConsent"
	// OpCustomAuthProvider is the GET of a customAuthConnect redirect URL: the provider's page, which
	// redirects to the callback.
	OpCustomAuthProvider Operation = "customAuthProvider"
	// OpCustomAuthCallback is the GET of the callback URL the provider redirected to.
	OpCustomAuthCallback Operation = "customAuthCallback"
)

var operations = []Operation{
	OpListConnections, OpGenerateConnection, OpGetConnection, OpUpdateConnection, OpDeleteConnection,
	OpOAuthConnect, OpOAuthUpdate, OpCustomAuthConnect,
}

// browserSteps maps the path of each browser step to its Operation (see browserStep for the consent's).
var browserSteps = map[string]Operation{
	oauthConsentPath:       OpOAuthConsent,
	customAuthProviderPath: OpCustomAuthProvider,
	customAuthCallbackPath: OpCustomAuthCallback,
}

// browserStepOf returns the step that r, a request to the path of step in browserSteps, performs, or "" when
// the path does not answer r's method. The consent's path answers a browser's GET with the page
// (OpOAuthConsentPage), the page's POST with the decision, and any other GET with the consent at once.
func browserStepOf(step Operation, r *http.Request) Operation {
	switch {
	case step == OpOAuthConsent && r.Method == http.MethodGet && acceptsHTML(r):
		return OpOAuthConsentPage
	case r.Method == http.MethodGet, step == OpOAuthConsent && r.Method == http.MethodPost:
		return step
	}
	return ""
}

// browserAllow is the Allow header of the browser step at path: the consent's also takes its form's POST.
func browserAllow(path string) string {
	if browserSteps[path] == OpOAuthConsent {
		return "GET, POST"
	}
	return http.MethodGet
}

// acceptsHTML reports whether r's Accept header names text/html, as every browser's navigation does.
func acceptsHTML(r *http.Request) bool {
	for _, h := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(h, ",") {
			mt, _, _ := strings.Cut(part, ";")
			if strings.EqualFold(strings.TrimSpace(mt), "text/html") {
				return true
			}
		}
	}
	return false
}

// isBrowserStep reports whether op is a browser step rather than an API operation.
func isBrowserStep(op Operation) bool {
	return op == OpOAuthConsent || op == OpOAuthConsentPage || op == OpCustomAuthProvider || op == OpCustomAuthCallback
}

// FaultKind is the way a fault breaks a reply.
type FaultKind int

const (
	// FaultStatus replies Fault.Status (default 500) with Fault.Problem as application/problem+json, or
	// Fault.Body as Fault.ContentType, plus Fault.Header. With neither Problem nor Body the reply is a default
	// problem for the status: title http.StatusText, the request ID, retryable true for 429 and 5xx (false
	// otherwise) and, when Fault.Header has Retry-After, the matching retryAfter time.
	FaultStatus FaultKind = iota
	// FaultResetBeforeReply resets the TCP connection (RST) without writing anything.
	FaultResetBeforeReply
	// FaultResetMidBody runs the real operation, writes its status line, headers (with the full
	// Content-Length) and the first half of its body, then resets the connection.
	FaultResetMidBody
	// FaultTruncatedBody runs the real operation, writes its status line, headers (with the full
	// Content-Length) and the first half of its body, then closes the connection cleanly, so the client
	// reads an unexpected EOF.
	FaultTruncatedBody
	// FaultHTMLPage replies a proxy-style text/html error page (Fault.Body if set) with Fault.Status,
	// default 502 Bad Gateway.
	FaultHTMLPage
	// FaultEmptyBody replies 200 with Content-Type application/json and no body at all.
	FaultEmptyBody
)

var faultKindNames = []string{
	"FaultStatus", "FaultResetBeforeReply", "FaultResetMidBody", "FaultTruncatedBody", "FaultHTMLPage",
	"FaultEmptyBody",
}

// String returns the name of the constant, e.g. "FaultResetMidBody".
func (k FaultKind) String() string {
	if k >= 0 && int(k) < len(faultKindNames) {
		return faultKindNames[k]
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault describes how the server misbehaves for the next matching calls; see Server.InjectFault.
//
// When the real operation does not run (the default for FaultStatus, FaultHTMLPage, FaultEmptyBody and
// FaultResetBeforeReply), authentication and validation are skipped too, and nothing changes.
//
// A fault on a browser step (OpOAuthConsent, OpCustomAuthProvider, OpCustomAuthCallback) works the same
// way, except that a FaultStatus with neither Problem nor Body is an HTML error page, as a provider shows
// it: with a 4xx status it is a denied consent (Fault{Status: 403} is the customer clicking "Deny";
// ApproveOAuth and CompleteCustomAuth then fail with ErrConsentDenied), with a 5xx status a provider
// failure. Without Processed the step does nothing: the state or session stays usable, as after a customer
// who closed the page. Faults cut
// short a reply that has a body; for a reply without one (deleteConnection's 204), FaultResetMidBody and
// FaultTruncatedBody deliver the complete reply before the connection goes.
//
// Go's http.Transport transparently retries an idempotent request (GET, DELETE) whose reused keep-alive
// connection breaks before any reply byte arrives, so a FaultResetBeforeReply with Times 1 can go unseen by
// such a client; use Times 2 or a transport with keep-alives disabled to observe it.
type Fault struct {
	// Kind is the way the reply breaks; the zero value is FaultStatus.
	Kind FaultKind
	// Status is the HTTP status of FaultStatus (default 500; 200 to 599) and FaultHTMLPage (default 502).
	Status int
	// Problem is the body of FaultStatus, sent as application/problem+json. Its zero Type, Title, Status and
	// RequestID are filled in (about:blank, http.StatusText, the reply's status, the request ID); when
	// Fault.Status is zero and Problem.Status is set, the reply has Problem.Status.
	Problem *client.Problem
	// Body is a raw body for FaultStatus or FaultHTMLPage, sent instead of Problem or the default page.
	Body []byte
	// ContentType is the Content-Type of Body (default application/json for FaultStatus, text/html on a
	// browser step).
	ContentType string
	// Header holds extra reply headers, such as Retry-After ("2" or an HTTP-date). They are set on every
	// kind of fault that writes headers, and replace headers of the same name.
	Header http.Header
	// Delay is waited before the reply (after the operation when it runs), in real time. The wait ends early
	// when the client goes away (nothing is sent then) or the server closes.
	Delay time.Duration
	// Times is how many matching calls the fault applies to; 0 means 1.
	Times int
	// Processed makes the real operation run first (authentication, validation, state changes) for
	// FaultStatus, FaultHTMLPage, FaultEmptyBody and FaultResetBeforeReply; its reply is then replaced by the
	// fault. FaultResetMidBody and FaultTruncatedBody always run the operation.
	Processed bool
}

type faultEntry struct {
	op    Operation
	fault Fault
	left  int
}

// InjectFault makes the next Fault.Times calls of op (any API operation for AnyOperation) misbehave as f
// describes; op may also be a browser step such as OpOAuthConsent. Faults apply after routing and before
// authentication and validation. A call takes the oldest
// pending fault that matches its operation, so faults for one operation are used in the order injected.
//
// InjectFault panics when op is neither an operation of the API nor a browser step, or f is inconsistent (an unknown Kind, a
// negative Times or Delay, a Status outside 200–599, or a FaultStatus below 400 with neither Problem nor Body).
func (s *Server) InjectFault(op Operation, f Fault) {
	if err := checkFault(op, &f); err != nil {
		panic("amptest: InjectFault: " + err.Error())
	}
	f.Body = bytes.Clone(f.Body)
	f.Header = f.Header.Clone()
	if f.Problem != nil {
		p := *f.Problem
		f.Problem = &p
	}
	times := f.Times
	if times == 0 {
		times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultEntry{op: op, fault: f, left: times})
}

func checkFault(op Operation, f *Fault) error {
	known := op == AnyOperation || isBrowserStep(op)
	for _, o := range operations {
		known = known || o == op
	}
	switch {
	case !known:
		return fmt.Errorf("unknown operation %q", op)
	case f.Kind < FaultStatus || f.Kind > FaultEmptyBody:
		return fmt.Errorf("unknown fault kind %v", f.Kind)
	case f.Times < 0:
		return fmt.Errorf("negative Times %d", f.Times)
	case f.Delay < 0:
		return fmt.Errorf("negative Delay %v", f.Delay)
	case f.Status != 0 && (f.Status < 200 || f.Status > 599):
		return fmt.Errorf("status %d is outside 200-599", f.Status)
	case f.Kind == FaultStatus && f.Problem == nil && f.Body == nil && f.Status != 0 && f.Status < 400:
		return fmt.Errorf("a FaultStatus with status %d needs a Problem or a Body", f.Status)
	}
	return nil
}

// ClearFaults drops every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault consumes one use of the oldest pending fault matching op; AnyOperation matches API operations
// only.
func (s *Server) takeFault(op Operation) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.faults {
		if e.op != op && (e.op != AnyOperation || isBrowserStep(op)) {
			continue
		}
		e.left--
		if e.left == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return e.fault, true
	}
	return Fault{}, false
}

// applyFault answers x as f says.
func (s *Server) applyFault(w http.ResponseWriter, x *exchange, f Fault) {
	var real *reply
	if f.Processed || f.Kind == FaultResetMidBody || f.Kind == FaultTruncatedBody {
		real = s.run(x)
	}
	if !s.wait(x.r.Context(), f.Delay) {
		return
	}
	switch f.Kind {
	case FaultStatus:
		s.faultReply(x, f).write(w, x.requestID)
	case FaultHTMLPage:
		status := f.Status
		if status == 0 {
			status = http.StatusBadGateway
		}
		body := f.Body
		if body == nil {
			body = htmlPage(status)
		}
		withHeader(&reply{status: status, header: http.Header{"Content-Type": {"text/html; charset=utf-8"}},
			body: body}, f.Header).write(w, x.requestID)
	case FaultEmptyBody:
		withHeader(&reply{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}}},
			f.Header).write(w, x.requestID)
	case FaultResetBeforeReply:
		breakConnection(w, nil, "", true)
	case FaultResetMidBody, FaultTruncatedBody:
		breakConnection(w, withHeader(real, f.Header), x.requestID, f.Kind == FaultResetMidBody)
	}
}

// wait sleeps for d; it returns false when the client went away or the server closed in the meantime.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		case <-s.done:
			return false
		}
	}
	return ctx.Err() == nil
}

// faultReply builds the reply of a FaultStatus.
func (s *Server) faultReply(x *exchange, f Fault) *reply {
	status := f.Status
	if status == 0 && f.Problem != nil && f.Problem.Status != 0 {
		status = int(f.Problem.Status)
	}
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if f.Body != nil {
		ct := f.ContentType
		switch {
		case ct == "" && x.browser:
			ct = "text/html; charset=utf-8"
		case ct == "":
			ct = "application/json"
		}
		return withHeader(&reply{status: status, header: http.Header{"Content-Type": {ct}}, body: f.Body}, f.Header)
	}
	if x.browser && f.Problem == nil {
		return withHeader(consentFailure(status), f.Header)
	}
	var p client.Problem
	if f.Problem != nil {
		p = *f.Problem
	} else {
		p = s.newProblem(x, status, "amptest: injected fault")
		retryable := status == http.StatusTooManyRequests || status >= 500
		p.Retryable = &retryable
		if after, ok := retryAfter(f.Header.Get("Retry-After"), p.Time); ok {
			p.RetryAfter = after
		}
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(status)
	}
	if p.Status == 0 {
		p.Status = int32(status)
	}
	if p.RequestID == "" {
		p.RequestID = x.requestID
	}
	rp := problemReply(p)
	rp.status = status
	return withHeader(rp, f.Header)
}

// retryAfter interprets a Retry-After header value (seconds or an HTTP-date) relative to now.
func retryAfter(v string, now time.Time) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return now.Add(time.Duration(secs) * time.Second), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}

// withHeader sets the headers of h on rp and returns rp.
func withHeader(rp *reply, h http.Header) *reply {
	for k, v := range h {
		rp.header[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
	}
	return rp
}

func htmlPage(status int) []byte {
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	return []byte("<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text +
		"</h1></center>\r\n<hr><center>amptest-proxy</center>\r\n</body>\r\n</html>\r\n")
}

// breakConnection takes the connection over from the HTTP server, writes the status line, the headers and the
// first half of the body of rp (nothing when rp is nil), then closes the connection: with a TCP reset when
// rst is set, cleanly otherwise. When the connection cannot be taken over (HTTP/2), the reply is aborted.
func breakConnection(w http.ResponseWriter, rp *reply, requestID string, rst bool) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if rp != nil {
		h := rp.header.Clone()
		h.Set("X-Request-Id", requestID)
		h.Set("Connection", "close")
		if rp.status != http.StatusNoContent {
			h.Set("Content-Length", strconv.Itoa(len(rp.body)))
		}
		fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", rp.status, http.StatusText(rp.status))
		_ = h.Write(buf)
		_, _ = buf.WriteString("\r\n")
		_, _ = buf.Write(rp.body[:len(rp.body)/2])
		_ = buf.Flush()
	}
	if tcp, ok := conn.(*net.TCPConn); ok && rst {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}
