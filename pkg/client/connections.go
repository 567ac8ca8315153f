package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/ampersand-sdk/ampersand-go/gen"
)

// Connection is one customer's stored credential for one provider (the API's Connection schema).
type Connection = gen.Connection

// GenerateConnectionParams is the body of a generate call: Provider, GroupRef and ConsumerRef are required,
// plus at most one credential (APIKey, BasicAuth, OAuth2ClientCredentials, OAuth2PasswordCredentials or
// OAuth2AuthorizationCode).
type GenerateConnectionParams = gen.GenerateConnectionParams

// UpdateConnectionParams is the body of an update call: the fields named in UpdateMask are set from
// Connection; other fields of Connection are ignored.
type UpdateConnectionParams = gen.UpdateConnectionParams

// ConnectionRequest holds the values of a connection in an update (UpdateConnectionParams.Connection).
type ConnectionRequest = gen.ConnectionRequest

// UpdateMaskField names a field that Update can change; the constants are gen.UpdateMaskField*.
type UpdateMaskField = gen.UpdateMaskField

// RefreshMode says whether Get refreshes an OAuth2 access token first. The zero value does not refresh.
type RefreshMode = gen.RefreshMode

// RefreshMode values.
const (
	RefreshForce     RefreshMode = gen.RefreshModeForce     // always refresh
	RefreshIfExpired RefreshMode = gen.RefreshModeIfExpired // refresh only an expired token
)

// ListConnectionsRequest selects the connections of a project. Empty filters are not sent.
type ListConnectionsRequest struct {
	ProjectIDOrName string
	Provider        string // e.g. "salesforce"
	GroupRef        string
	ConsumerRef     string
}

// GenerateConnectionRequest imports a credential as a new connection of a project.
type GenerateConnectionRequest struct {
	ProjectIDOrName string
	Params          GenerateConnectionParams
}

// GetConnectionRequest reads one connection. Credentials are included only when asked for:
// IncludeCreds adds the OAuth2 access token and scopes, IncludeRefreshToken adds the refresh token too.
type GetConnectionRequest struct {
	ProjectIDOrName     string
	ConnectionID        string
	IncludeCreds        bool
	IncludeRefreshToken bool
	Refresh             RefreshMode
}

// UpdateConnectionRequest changes the fields of a connection named in Params.UpdateMask.
type UpdateConnectionRequest struct {
	ProjectIDOrName string
	ConnectionID    string
	Params          UpdateConnectionParams
}

// DeleteConnectionRequest deletes one connection.
type DeleteConnectionRequest struct {
	ProjectIDOrName string
	ConnectionID    string
}

// List returns the connections of a project that match the filters. It is ConnectionsList.
func (s *ConnectionsService) List(ctx context.Context, req ListConnectionsRequest, opts ...Option) ([]Connection, error) {
	return ConnectionsList(ctx, s.owner(), req, opts...)
}

// Generate imports a credential as a new connection and returns it (without credentials). It is
// ConnectionsGenerate. Generate is not idempotent: see WithRetryNonIdempotent for how it is retried.
func (s *ConnectionsService) Generate(ctx context.Context, req GenerateConnectionRequest, opts ...Option) (*Connection, error) {
	return ConnectionsGenerate(ctx, s.owner(), req, opts...)
}

// Get returns one connection. It is ConnectionsGet.
func (s *ConnectionsService) Get(ctx context.Context, req GetConnectionRequest, opts ...Option) (*Connection, error) {
	return ConnectionsGet(ctx, s.owner(), req, opts...)
}

// Update changes the fields named in the update mask and returns the connection. It is ConnectionsUpdate.
func (s *ConnectionsService) Update(ctx context.Context, req UpdateConnectionRequest, opts ...Option) (*Connection, error) {
	return ConnectionsUpdate(ctx, s.owner(), req, opts...)
}

// Delete deletes a connection. It is ConnectionsDelete.
func (s *ConnectionsService) Delete(ctx context.Context, req DeleteConnectionRequest, opts ...Option) error {
	return ConnectionsDelete(ctx, s.owner(), req, opts...)
}

// owner returns the service's client; nil for the nil service of a Client not made by New, which the
// pipeline reports as a *ValidationError instead of panicking.
func (s *ConnectionsService) owner() *Client {
	if s == nil {
		return nil
	}
	return s.client
}

// The connection operations, each described once: its operation, the checks of its request, its HTTP
// request and its result.
var (
	listConnections = &endpoint[ListConnectionsRequest, []Connection]{
		operation: operation{id: "listConnections", method: http.MethodGet, route: "/projects/{projectIdOrName}/connections",
			idempotent: true, maxBody: DefaultMaxListResponseBytes},
		check: func(r *ListConnectionsRequest) error { return checkID("ProjectIDOrName", r.ProjectIDOrName) },
		build: func(server string, r *ListConnectionsRequest) (*http.Request, error) {
			return gen.NewListConnectionsRequest(server, r.ProjectIDOrName, &gen.ListConnectionsParams{
				Provider: optional(r.Provider), GroupRef: optional(r.GroupRef), ConsumerRef: optional(r.ConsumerRef)})
		},
		decode: decodeList,
	}
	generateConnection = &endpoint[GenerateConnectionRequest, *Connection]{
		operation: operation{id: "generateConnection", method: http.MethodPost, route: "/projects/{projectIdOrName}/connections:generate",
			maxBody: DefaultMaxResponseBytes},
		check: func(r *GenerateConnectionRequest) error {
			if err := checkID("ProjectIDOrName", r.ProjectIDOrName); err != nil {
				return err
			}
			return requireFields("Params.", "Provider", r.Params.Provider, "GroupRef", r.Params.GroupRef, "ConsumerRef", r.Params.ConsumerRef)
		},
		build: func(server string, r *GenerateConnectionRequest) (*http.Request, error) {
			return gen.NewGenerateConnectionRequest(server, r.ProjectIDOrName, r.Params)
		},
		decode: decodeOne,
	}
	getConnection = &endpoint[GetConnectionRequest, *Connection]{
		operation: operation{id: "getConnection", method: http.MethodGet, route: "/projects/{projectIdOrName}/connections/{connectionId}",
			idempotent: true, maxBody: DefaultMaxResponseBytes},
		check: func(r *GetConnectionRequest) error {
			if err := checkIDs(r.ProjectIDOrName, r.ConnectionID); err != nil {
				return err
			}
			if r.Refresh != "" && !r.Refresh.Valid() {
				return &ValidationError{Field: "Refresh", Reason: fmt.Sprintf("%q is not a RefreshMode (use RefreshForce, RefreshIfExpired or leave it empty)", r.Refresh)}
			}
			return nil
		},
		build: func(server string, r *GetConnectionRequest) (*http.Request, error) {
			var p gen.GetConnectionParams
			if r.IncludeCreds {
				p.IncludeCreds = &r.IncludeCreds
			}
			if r.IncludeRefreshToken {
				p.IncludeRefreshToken = &r.IncludeRefreshToken
			}
			if r.Refresh != "" {
				p.Refresh = &r.Refresh
			}
			return gen.NewGetConnectionRequest(server, r.ProjectIDOrName, r.ConnectionID, &p)
		},
		decode: decodeOne,
	}
	updateConnection = &endpoint[UpdateConnectionRequest, *Connection]{
		operation: operation{id: "updateConnection", method: http.MethodPatch, route: "/projects/{projectIdOrName}/connections/{connectionId}",
			idempotent: true, maxBody: DefaultMaxResponseBytes},
		check: func(r *UpdateConnectionRequest) error {
			if err := checkIDs(r.ProjectIDOrName, r.ConnectionID); err != nil {
				return err
			}
			return checkUpdateMask(r.Params)
		},
		build: func(server string, r *UpdateConnectionRequest) (*http.Request, error) {
			return gen.NewUpdateConnectionRequest(server, r.ProjectIDOrName, r.ConnectionID, r.Params)
		},
		decode: decodeOne,
	}
	deleteConnection = &endpoint[DeleteConnectionRequest, struct{}]{
		operation: operation{id: "deleteConnection", method: http.MethodDelete, route: "/projects/{projectIdOrName}/connections/{connectionId}",
			idempotent: true},
		check: func(r *DeleteConnectionRequest) error { return checkIDs(r.ProjectIDOrName, r.ConnectionID) },
		build: func(server string, r *DeleteConnectionRequest) (*http.Request, error) {
			return gen.NewDeleteConnectionRequest(server, r.ProjectIDOrName, r.ConnectionID)
		},
	}
)

// ConnectionsList is the standalone form of Client.Connections.List (listConnections).
func ConnectionsList(ctx context.Context, c *Client, req ListConnectionsRequest, opts ...Option) ([]Connection, error) {
	return listConnections.call(ctx, c, req, opts)
}

// ConnectionsGenerate is the standalone form of Client.Connections.Generate (generateConnection).
func ConnectionsGenerate(ctx context.Context, c *Client, req GenerateConnectionRequest, opts ...Option) (*Connection, error) {
	return generateConnection.call(ctx, c, req, opts)
}

// ConnectionsGet is the standalone form of Client.Connections.Get (getConnection).
func ConnectionsGet(ctx context.Context, c *Client, req GetConnectionRequest, opts ...Option) (*Connection, error) {
	return getConnection.call(ctx, c, req, opts)
}

// ConnectionsUpdate is the standalone form of Client.Connections.Update (updateConnection).
func ConnectionsUpdate(ctx context.Context, c *Client, req UpdateConnectionRequest, opts ...Option) (*Connection, error) {
	return updateConnection.call(ctx, c, req, opts)
}

// ConnectionsDelete is the standalone form of Client.Connections.Delete (deleteConnection).
func ConnectionsDelete(ctx context.Context, c *Client, req DeleteConnectionRequest, opts ...Option) error {
	_, err := deleteConnection.call(ctx, c, req, opts)
	return err
}

// decodeOne decodes a body that holds one connection into a new Connection.
func decodeOne(body io.Reader, _ int64, out **Connection) error {
	v := new(Connection)
	if err := decodeConnectionBody(body, v); err != nil {
		return err
	}
	*out = v
	return nil
}

// requireFields refuses empty required strings, given as name, value pairs (prefix is prepended to names).
func requireFields(prefix string, nameValues ...string) error {
	for i := 0; i+1 < len(nameValues); i += 2 {
		if nameValues[i+1] == "" {
			return &ValidationError{Field: prefix + nameValues[i], Reason: "is required"}
		}
	}
	return nil
}

// checkID refuses IDs that cannot name a resource: "" and the dot segments "." and ".." (URL resolution
// would turn them into another URL), and strings with ASCII control characters or invalid UTF-8 (no
// Ampersand ID has them, and they are a log-injection risk). Every other string — with "/", "?", "#", "%",
// spaces, non-ASCII letters, of any length — is percent-escaped into exactly one path segment and reaches
// the server byte for byte.
func checkID(field, id string) error {
	switch id {
	case "":
		return &ValidationError{Field: field, Reason: "is empty"}
	case ".", "..":
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%q would address another URL", id)}
	}
	if !utf8.ValidString(id) {
		return &ValidationError{Field: field, Reason: "is not valid UTF-8"}
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] == 0x7f {
			return &ValidationError{Field: field, Reason: fmt.Sprintf("contains the control character %q at byte %d", id[i], i)}
		}
	}
	return nil
}

func checkIDs(project, connection string) error {
	if err := checkID("ProjectIDOrName", project); err != nil {
		return err
	}
	return checkID("ConnectionID", connection)
}

// checkUpdateMask refuses an update that cannot succeed: an empty mask, an unknown mask entry, or an entry
// whose value is unset in Params.Connection (an unset value is not sent, so the server would reject it).
func checkUpdateMask(p UpdateConnectionParams) error {
	if len(p.UpdateMask) == 0 {
		return &ValidationError{Field: "Params.UpdateMask", Reason: "is empty: name the fields to update"}
	}
	c := p.Connection
	for i, f := range p.UpdateMask {
		var set bool
		switch f {
		case gen.UpdateMaskFieldProviderWorkspaceRef:
			set = c.ProviderWorkspaceRef != ""
		case gen.UpdateMaskFieldProviderMetadata:
			set = len(c.ProviderMetadata) > 0
		case gen.UpdateMaskFieldAPIKey:
			set = c.APIKey != ""
		case gen.UpdateMaskFieldBasicAuth:
			set = c.BasicAuth != (gen.BasicAuth{})
		case gen.UpdateMaskFieldOAuth2ClientCredentials:
			set = c.OAuth2ClientCredentials.ClientID != "" || c.OAuth2ClientCredentials.ClientSecret != "" || len(c.OAuth2ClientCredentials.Scopes) > 0
		case gen.UpdateMaskFieldOAuth2PasswordCredentials:
			pc := c.OAuth2PasswordCredentials
			set = pc.Username != "" || pc.Password != "" || pc.ClientID != "" || pc.ClientSecret != "" || len(pc.Scopes) > 0
		default:
			return &ValidationError{Field: fmt.Sprintf("Params.UpdateMask[%d]", i), Reason: fmt.Sprintf("%q is not an updatable field", f)}
		}
		if !set {
			return &ValidationError{Field: "Params.Connection." + string(f), Reason: fmt.Sprintf("is named in UpdateMask[%d] but not set", i)}
		}
	}
	return nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
