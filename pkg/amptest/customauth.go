package amptest

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// The paths, on the server's origin, of the fake custom-auth provider's page and of Ampersand's callback.
const (
	customAuthProviderPath = "/custom-auth/provider"
	customAuthCallbackPath = "/custom-auth/callback"
)

// customSession is a custom auth flow in progress.
type customSession struct {
	id           string
	pr           *project
	params       client.CustomAuthConnectParams // the first call's inputs
	started      time.Time
	callback     map[string]string // the parameters the provider sent to the callback; nil until it did
	connectionID string            // the connection the flow created; "" until it completed
}

// customAuthReply is the body of a customAuthConnect reply (the CustomAuthConnectResponse schema): exactly
// one field is set.
type customAuthReply struct {
	Redirect   *customAuthRedirect `json:"redirect,omitempty"`
	Connection *client.Connection  `json:"connection,omitempty"`
}

// customAuthRedirect is the RedirectResponse schema.
type customAuthRedirect struct {
	URL       string `json:"url"`
	SessionID string `json:"sessionId"`
}

// customAuthConnect starts a custom auth flow (no sessionId) or resumes one.
func (s *Server) customAuthConnect(x *exchange) *reply {
	var p client.CustomAuthConnectParams
	if rp := s.decodeBody(x, &p); rp != nil {
		return rp
	}
	if p.SessionID != "" {
		return s.resumeCustomAuth(x, &p)
	}
	var issues []client.InputValidationIssue
	for _, is := range emptyFields("projectIdOrName", p.ProjectIDOrName, "provider", p.Provider,
		"groupRef", p.GroupRef, "consumerRef", p.ConsumerRef) {
		if is.Name != "projectIdOrName" {
			is.Detail = is.Name + " is required on the first call (without sessionId)"
		}
		issues = append(issues, is)
	}
	if len(p.CustomAuth) == 0 {
		issues = append(issues, bodyIssue("customAuth",
			"customAuth must hold the provider's inputs on the first call (without sessionId)"))
	}
	if len(p.CallbackParams) > 0 {
		issues = append(issues, bodyIssue("sessionId",
			"callbackParams are given without sessionId: a resume call needs the sessionId of the redirect"))
	}
	if len(issues) > 0 {
		return s.invalid(x, "invalid custom auth request", issues)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := &customSession{
		id: newUUID(), pr: s.st.project(p.ProjectIDOrName), params: deepCopy(p).(client.CustomAuthConnectParams),
		started: s.now(),
	}
	s.st.sessions[sess.id] = sess
	return jsonReply(http.StatusOK, customAuthReply{Redirect: &customAuthRedirect{
		URL: s.origin + customAuthProviderPath + "?" + url.Values{"session": {sess.id}}.Encode(), SessionID: sess.id,
	}})
}

// resumeCustomAuth completes a flow whose provider has redirected to the callback: the call must name a live
// session of the project and carry exactly the callback parameters the provider sent. The inputs of the
// first call (provider, refs, customAuth) are ignored on a resume call, as upstream documents.
func (s *Server) resumeCustomAuth(x *exchange, p *client.CustomAuthConnectParams) *reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	sess := s.st.sessions[p.SessionID]
	sessionIssue := func(status int, detail, issue string) *reply {
		pr := s.newProblem(x, status, detail)
		pr.Issues = []client.InputValidationIssue{{
			In: client.InputValidationIssueInBody, Name: "sessionId", Detail: issue, Value: p.SessionID,
		}}
		return problemReply(pr)
	}
	switch {
	case sess == nil || sess.pr != s.st.lookup(p.ProjectIDOrName):
		return sessionIssue(http.StatusBadRequest, "unknown or expired sessionId",
			fmt.Sprintf("no custom auth session %q in project %q", p.SessionID, p.ProjectIDOrName))
	case sess.connectionID != "":
		return sessionIssue(http.StatusConflict, "the custom auth session is already completed", fmt.Sprintf(
			"the session already created connection %s; start a new flow for another connection", sess.connectionID))
	case now.Sub(sess.started) > FlowLifetime:
		return sessionIssue(http.StatusBadRequest, "unknown or expired sessionId", fmt.Sprintf(
			"the session started at %s and expired after %v", sess.started.Format(time.RFC3339), FlowLifetime))
	case sess.callback == nil:
		return s.invalid(x, "the provider has not redirected to the callback yet", []client.InputValidationIssue{
			bodyIssue("callbackParams", "no callback parameters were issued yet: open the redirect URL first"),
		})
	}
	if issues := callbackIssues(sess.callback, p.CallbackParams); len(issues) > 0 {
		return s.invalid(x, "callbackParams do not match what the provider sent to the callback", issues)
	}
	in := sess.params
	rec := s.st.generate(sess.pr, client.GenerateConnectionParams{
		Provider: in.Provider, GroupRef: in.GroupRef, GroupName: in.GroupName, ConsumerRef: in.ConsumerRef,
		ConsumerName: in.ConsumerName, ProviderMetadata: in.ProviderMetadata, CustomAuth: in.CustomAuth,
	}, now)
	sess.connectionID = rec.conn.ID
	s.notify(client.NotificationTypeConnectionCreated, rec)
	conn := rec.view(hideCredentials)
	return jsonReply(http.StatusOK, customAuthReply{Connection: &conn})
}

// callbackIssues compares the callback parameters of a resume call with those the provider sent: one issue
// per missing, different or unexpected parameter, in name order.
func callbackIssues(want, got map[string]string) []client.InputValidationIssue {
	var issues []client.InputValidationIssue
	for _, k := range slices.Sorted(maps.Keys(want)) {
		v, ok := got[k]
		switch {
		case !ok:
			issues = append(issues, bodyIssue("callbackParams."+k, "missing: the provider sent "+k+" to the callback"))
		case v != want[k]:
			is := bodyIssue("callbackParams."+k, "not the value the provider sent to the callback")
			is.Value = v
			issues = append(issues, is)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			issues = append(issues, bodyIssue("callbackParams."+k, fmt.Sprintf(
				"unexpected: the provider sent only %v to the callback", slices.Sorted(maps.Keys(want)))))
		}
	}
	return issues
}

// liveSession returns the session named by the session query parameter of a browser step, or the page of
// the step's failure: the session is unknown, completed or expired. The caller holds s.mu.
func (s *Server) liveSession(x *exchange) (*customSession, *reply) {
	sess := s.st.sessions[x.r.URL.Query().Get("session")]
	switch {
	case sess == nil:
		return nil, flowFailure(codeUnknown, "This custom auth session was not started on this server.")
	case sess.connectionID != "":
		return nil, flowFailure(codeUsed, "This custom auth session is already completed. Start a new flow.")
	case s.now().Sub(sess.started) > FlowLifetime:
		return nil, flowFailure(codeExpired, fmt.Sprintf("This custom auth session started at %s and expired "+
			"after %v. Start a new flow.", sess.started.Format(time.RFC3339), FlowLifetime))
	}
	return sess, nil
}

// customAuthProvider is the browser's GET of a redirect URL: the fake provider authorizes the consumer and
// redirects (302) to Ampersand's callback with the parameters it issues, a random tenant. A second visit
// redirects with the same parameters.
func (s *Server) customAuthProvider(x *exchange) *reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, failed := s.liveSession(x)
	if failed != nil {
		return failed
	}
	if sess.callback == nil {
		sess.callback = map[string]string{"tenant": newUUID()}
	}
	q := url.Values{"session": {sess.id}}
	for k, v := range sess.callback {
		q.Set(k, v)
	}
	loc := s.origin + customAuthCallbackPath + "?" + q.Encode()
	page := browserPage(http.StatusFound, "", "Redirecting", "The provider authorized the request; continue to "+loc)
	page.header.Set("Location", loc)
	return page
}

// customAuthCallback is the browser's GET of the callback URL: Ampersand's page, which the application reads
// the callback parameters from. They must be those the provider sent.
func (s *Server) customAuthCallback(x *exchange) *reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, failed := s.liveSession(x)
	if failed != nil {
		return failed
	}
	got := map[string]string{}
	for k, v := range x.r.URL.Query() {
		if k != "session" {
			got[k] = v[0]
		}
	}
	if sess.callback == nil || !maps.Equal(got, sess.callback) {
		return browserPage(http.StatusBadRequest, codeInvalidCallback, "Invalid callback",
			"These callback parameters are not those the provider sent for this session.")
	}
	return browserPage(http.StatusOK, "", "Authorization received", fmt.Sprintf(
		"The %s authorization was received. Return to the application, which finishes the connection with "+
			"sessionId %s and these callback parameters.", sess.params.Provider, sess.id))
}
