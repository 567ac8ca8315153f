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
