package amptest

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// FlowLifetime is how long an authorization URL of oauthConnect or oauthUpdate, and a customAuthConnect
// session, stay usable after they were issued, by the server's clock (see WithClock). A flow exactly
// FlowLifetime old still works; an older one fails with ErrFlowExpired.
const FlowLifetime = 10 * time.Minute

// oauthConsentPath is the path, on the server's origin, of the authorization URLs.
const oauthConsentPath = "/oauth/authorize"

// refreshTokenPrefix and accessTokenPrefix start the tokens the fake mints.
const (
	accessTokenPrefix  = "amptest-access-"
	refreshTokenPrefix = "amptest-refresh-"
)

// defaultScopes are the scopes a consent grants to a connection that has none.
var defaultScopes = []string{"read", "write"}

// oauthState is what the state parameter of an authorization URL stands for.
type oauthState struct {
	pr           *project
	params       client.OAuthConnectParams // the oauthConnect request (connect only)
	connectionID string                    // the connection to re-authorize; "" for a connect
	issued       time.Time
	used         bool
}

// oauthConnect answers the URL of a consent that creates the connection described by the body.
func (s *Server) oauthConnect(x *exchange) *reply {
	var p client.OAuthConnectParams
	if rp := s.decodeBody(x, &p); rp != nil {
		return rp
	}
	issues := emptyFields("projectIdOrName", p.ProjectIDOrName, "provider", p.Provider, "groupRef", p.GroupRef,
		"consumerRef", p.ConsumerRef)
	if len(issues) > 0 {
		return s.invalid(x, "invalid OAuth connect request", issues)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authorizationURL(&oauthState{
		pr: s.st.project(p.ProjectIDOrName), params: deepCopy(p).(client.OAuthConnectParams), issued: s.now(),
	})
}

// oauthUpdate answers the URL of a consent that re-authorizes an existing OAuth2 authorization-code
// connection.
func (s *Server) oauthUpdate(x *exchange, projectID, connectionID string) *reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.st.connection(projectID, connectionID)
	if rec == nil {
		return s.connectionNotFound(x, projectID, connectionID)
	}
	if rec.conn.AuthScheme != client.AuthSchemeOAuth2AuthorizationCode {
		p := s.newProblem(x, http.StatusBadRequest, fmt.Sprintf("connection %s does not use OAuth2", connectionID))
		p.Issues = []client.InputValidationIssue{{
			In: client.InputValidationIssueInPath, Name: "connectionId", Value: connectionID,
			Detail: fmt.Sprintf("the connection's auth scheme is %q; only %q connections can be re-authorized",
				rec.conn.AuthScheme, client.AuthSchemeOAuth2AuthorizationCode),
		}}
		return problemReply(p)
	}
	return s.authorizationURL(&oauthState{pr: s.st.lookup(projectID), connectionID: rec.conn.ID, issued: s.now()})
}

// authorizationURL stores st under a new random state and answers the URL of its consent, as text/plain.
// The caller holds s.mu.
func (s *Server) authorizationURL(st *oauthState) *reply {
	state := randomHex(16)
	s.st.states[state] = st
	return &reply{
		status: http.StatusOK,
		header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
		body:   []byte(s.origin + oauthConsentPath + "?state=" + state),
	}
}

// oauthConsent is the browser's GET of an authorization URL: the customer grants access at the provider,
// which redirects to Ampersand's callback, which creates or re-authorizes the connection. Both happen in
// this one step; its page names the connection in the HeaderConnectionID header.
func (s *Server) oauthConsent(x *exchange) *reply {
	state := x.r.URL.Query().Get("state")
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	st := s.st.states[state]
	switch {
	case st == nil:
		return flowFailure(codeUnknown, "This authorization URL was not issued by this server: its state is unknown.")
	case st.used:
		return flowFailure(codeUsed, "This authorization URL was already used; each one works once. Ask for a new one.")
	case now.Sub(st.issued) > FlowLifetime:
		return flowFailure(codeExpired, fmt.Sprintf("This authorization URL expired: it was issued at %s and "+
			"lasts %v. Ask for a new one.", st.issued.Format(time.RFC3339), FlowLifetime))
	}
	var rec *record
	title := "Connection re-authorized"
	if st.connectionID == "" {
		p := st.params
		rec = s.st.generate(st.pr, client.GenerateConnectionParams{
			Provider: p.Provider, GroupRef: p.GroupRef, GroupName: p.GroupName, ConsumerRef: p.ConsumerRef,
			ConsumerName: p.ConsumerName, ProviderWorkspaceRef: p.ProviderWorkspaceRef,
			ProviderMetadata:        p.ProviderMetadata,
			OAuth2AuthorizationCode: mintTokens(now, defaultScopes),
		}, now)
		title = "Connection created"
	} else if rec = st.pr.conns[st.connectionID]; rec == nil {
		return browserPage(http.StatusNotFound, codeNotFound, "Connection not found",
			fmt.Sprintf("Connection %s, which this URL re-authorizes, no longer exists.", st.connectionID))
	} else {
		scopes := rec.conn.OAuth2AuthorizationCode.Scopes
		if len(scopes) == 0 {
			scopes = defaultScopes
		}
		rec.conn.OAuth2AuthorizationCode = mintTokens(now, scopes)
		rec.conn.UpdateTime = now
		rec.revoked = false
	}
	rec.conn.Status = client.ConnectionStatusWorking
	st.used = true
	if st.connectionID == "" {
		s.notify(client.NotificationTypeConnectionCreated, rec)
	} else {
		s.notify(client.NotificationTypeConnectionUpdated, rec)
	}
	page := browserPage(http.StatusOK, "", title, fmt.Sprintf(
		"The customer granted access to %s. Connection %s is ready; you can close this window.",
		rec.conn.Provider, rec.conn.ID))
	page.header.Set(HeaderConnectionID, rec.conn.ID)
	return page
}

// mintTokens returns new access and refresh tokens issued at now, the access token valid for
// accessTokenLifetime, with a copy of scopes.
func mintTokens(now time.Time, scopes []string) client.OAuth2AuthorizationCode {
	return client.OAuth2AuthorizationCode{
		AccessToken: client.OAuth2Token{
			Token: accessTokenPrefix + randomHex(16), IssuedAt: now, ExpiresAt: now.Add(accessTokenLifetime),
		},
		RefreshToken: client.OAuth2Token{Token: refreshTokenPrefix + randomHex(16), IssuedAt: now},
		Scopes:       slices.Clone(scopes),
	}
}
