package amptest

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// SeedConnection stores a connection in the project projectIDOrName (created on first use) exactly as
// generateConnection would, without HTTP, authentication, faults or recording, and returns it with its
// credentials. It fails, storing nothing, when the request would be rejected: an empty provider, groupRef,
// consumerRef or token value, or more than one credential.
func (s *Server) SeedConnection(projectIDOrName string, p client.GenerateConnectionParams) (client.Connection, error) {
	if projectIDOrName == "" {
		return client.Connection{}, errors.New("amptest: SeedConnection: the project ID or name must not be empty")
	}
	if issues := checkGenerate(&p); len(issues) > 0 {
		errs := make([]error, len(issues))
		for i, is := range issues {
			errs[i] = fmt.Errorf("%s: %s", is.Name, is.Detail)
		}
		return client.Connection{}, fmt.Errorf("amptest: SeedConnection: %w", errors.Join(errs...))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.st.generate(s.st.project(projectIDOrName), p, s.now())
	return rec.view(showAllStoredFields), nil
}

// Connections returns the connections of the project projectIDOrName in creation order, with everything the
// Connection model can hold: apiKey and all oauth2AuthorizationCode tokens included (see Credentials for the
// others). An unknown project has none; asking does not create it.
func (s *Server) Connections(projectIDOrName string) []client.Connection {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []client.Connection{}
	if pr := s.st.lookup(projectIDOrName); pr != nil {
		for _, rec := range pr.order {
			out = append(out, rec.view(showAllStoredFields))
		}
	}
	return out
}

// Connection returns one stored connection with its credentials, like Connections; ok is false when the
// project or the connection does not exist (or was deleted).
func (s *Server) Connection(projectIDOrName, connectionID string) (c client.Connection, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.st.connection(projectIDOrName, connectionID)
	if rec == nil {
		return client.Connection{}, false
	}
	return rec.view(showAllStoredFields), true
}

// Credentials returns the stored credential of a connection, including those the Connection model cannot
// carry (basicAuth, oauth2ClientCredentials, oauth2PasswordCredentials, customAuth), in the shape of a
// request: only the credential fields are set. ok is false when the connection does not exist.
func (s *Server) Credentials(projectIDOrName, connectionID string) (creds client.ConnectionRequest, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.st.connection(projectIDOrName, connectionID)
	if rec == nil {
		return client.ConnectionRequest{}, false
	}
	code := rec.conn.OAuth2AuthorizationCode
	code.Scopes = slices.Clone(code.Scopes)
	creds = deepCopy(rec.stored).(client.ConnectionRequest)
	creds.APIKey, creds.OAuth2AuthorizationCode = rec.conn.APIKey, code
	return creds, true
}

// Project returns the project with this ID or name; ok is false when it was neither declared with
// WithProject nor used yet.
func (s *Server) Project(idOrName string) (p Project, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pr := s.st.lookup(idOrName); pr != nil {
		return pr.Project, true
	}
	return Project{}, false
}
