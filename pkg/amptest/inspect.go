package amptest

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ampersand-sdk/ampersand-go/gen"
)

// SeedConnection stores a connection in the project projectIDOrName (created on first use) exactly as
// generateConnection would, without HTTP, authentication, faults or recording, and returns it with its
// credentials. It fails, storing nothing, when the request would be rejected: an empty provider, groupRef,
// consumerRef or token value, or more than one credential.
func (s *Server) SeedConnection(projectIDOrName string, p gen.GenerateConnectionParams) (gen.Connection, error) {
	if projectIDOrName == "" {
		return gen.Connection{}, errors.New("amptest: SeedConnection: the project ID or name must not be empty")
	}
	if issues := checkGenerate(&p); len(issues) > 0 {
		errs := make([]error, len(issues))
		for i, is := range issues {
			errs[i] = fmt.Errorf("%s: %s", is.Name, is.Detail)
		}
		return gen.Connection{}, fmt.Errorf("amptest: SeedConnection: %w", errors.Join(errs...))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.st.generate(s.st.project(projectIDOrName), p, s.now())
	return rec.view(showAllStoredFields), nil
}

// Connections returns the connections of the project projectIDOrName in creation order, with everything the
// Connection model can hold: apiKey and all oauth2AuthorizationCode tokens included (see Credentials for the
// others). An unknown project has none; asking does not create it.
func (s *Server) Connections(projectIDOrName string) []gen.Connection {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []gen.Connection{}
	if pr := s.st.lookup(projectIDOrName); pr != nil {
		for _, rec := range pr.order {
			out = append(out, rec.view(showAllStoredFields))
		}
	}
	return out
}

// Connection returns one stored connection with its credentials, like Connections; ok is false when the
// project or the connection does not exist (or was deleted).
func (s *Server) Connection(projectIDOrName, connectionID string) (c gen.Connection, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.st.connection(projectIDOrName, connectionID)
	if rec == nil {
		return gen.Connection{}, false
	}
	return rec.view(showAllStoredFields), true
}

// Credentials returns the stored credential of a connection, including those the Connection model cannot
// carry (basicAuth, oauth2ClientCredentials, oauth2PasswordCredentials, customAuth), in the shape of a
// request: only the credential fields are set. ok is false when the connection does not exist.
func (s *Server) Credentials(projectIDOrName, connectionID string) (creds gen.ConnectionRequest, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.st.connection(projectIDOrName, connectionID)
	if rec == nil {
		return gen.ConnectionRequest{}, false
	}
	code := rec.conn.OAuth2AuthorizationCode
	code.Scopes = slices.Clone(code.Scopes)
	return gen.ConnectionRequest{
		APIKey:                    rec.conn.APIKey,
		BasicAuth:                 rec.basicAuth,
		OAuth2ClientCredentials:   cloneClientCred(rec.clientCred),
		OAuth2PasswordCredentials: clonePassCred(rec.passCred),
		OAuth2AuthorizationCode:   code,
		CustomAuth:                cloneMap(rec.customAuth),
	}, true
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
