package amptest

import (
	"fmt"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// refreshOutcome is what refresh did: nothing, renewed the access token, or failed (a revoked grant).
type refreshOutcome int

const (
	refreshNone refreshOutcome = iota
	refreshRenewed
	refreshFailed
)

// revokedGrantError is the error message of the connection.error notifications of a revoked grant.
const revokedGrantError = "token refresh failed: invalid_grant (the customer revoked access at the provider)"

// RevokeGrant plays the customer revoking the connection's access at the provider: Ampersand's next refresh
// of its token fails. The fake runs that refresh at once, as Ampersand's background refresh would: the
// connection's status becomes bad_credentials and a connection.error notification is sent (see
// WithWebhook). Until the connection is re-authorized (oauthUpdate and its consent, which sends
// connection.updated), every getConnection with a refresh that is due fails the same way, sending
// connection.error again, and the access token is not renewed.
//
// It fails when the project or connection does not exist, or the connection's auth scheme is not
// oauth2/authorizationCode (only those have a grant to revoke).
func (s *Server) RevokeGrant(projectIDOrName, connectionID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.st.connection(projectIDOrName, connectionID)
	if rec == nil {
		return fmt.Errorf("amptest: RevokeGrant: %s", notFound(projectIDOrName, connectionID))
	}
	if rec.conn.AuthScheme != client.AuthSchemeOAuth2AuthorizationCode {
		return fmt.Errorf("amptest: RevokeGrant: connection %s has auth scheme %s, not %s: there is no grant to revoke",
			connectionID, rec.conn.AuthScheme, client.AuthSchemeOAuth2AuthorizationCode)
	}
	rec.revoked = true
	rec.conn.Status = client.ConnectionStatusBadCredentials
	rec.conn.UpdateTime = s.now()
	s.notify(client.NotificationTypeConnectionError, rec, revokedGrantError)
	return nil
}
