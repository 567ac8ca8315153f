package client

import (
	"context"
	"fmt"
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

// ConnectionsList is the standalone form of Client.Connections.List (listConnections).
func ConnectionsList(ctx context.Context, c *Client, req ListConnectionsRequest, opts ...Option) ([]Connection, error) {
	if err := checkID("ProjectIDOrName", req.ProjectIDOrName); err != nil {
		return nil, err
	}
	var out []Connection
	op := newOperation(opList, req.ProjectIDOrName, "", &out)
	op.list = gen.ListConnectionsParams{Provider: optional(req.Provider), GroupRef: optional(req.GroupRef), ConsumerRef: optional(req.ConsumerRef)}
	if err := c.do(ctx, &op, opts); err != nil {
		return nil, err
	}
	if out == nil {
		out = []Connection{}
	}
	return out, nil
}

// ConnectionsGenerate is the standalone form of Client.Connections.Generate (generateConnection).
func ConnectionsGenerate(ctx context.Context, c *Client, req GenerateConnectionRequest, opts ...Option) (*Connection, error) {
	if err := checkID("ProjectIDOrName", req.ProjectIDOrName); err != nil {
		return nil, err
	}
	for _, f := range [...]struct{ name, value string }{
		{"Provider", req.Params.Provider}, {"GroupRef", req.Params.GroupRef}, {"ConsumerRef", req.Params.ConsumerRef},
	} {
		if f.value == "" {
			return nil, &ValidationError{Field: "Params." + f.name, Reason: "is required"}
		}
	}
	out := new(Connection)
	op := newOperation(opGenerate, req.ProjectIDOrName, "", out)
	op.generate = &req.Params
	if err := c.do(ctx, &op, opts); err != nil {
		return nil, err
	}
	return out, nil
}

// ConnectionsGet is the standalone form of Client.Connections.Get (getConnection).
func ConnectionsGet(ctx context.Context, c *Client, req GetConnectionRequest, opts ...Option) (*Connection, error) {
	if err := checkIDs(req.ProjectIDOrName, req.ConnectionID); err != nil {
		return nil, err
	}
	if req.Refresh != "" && !req.Refresh.Valid() {
		return nil, &ValidationError{Field: "Refresh", Reason: fmt.Sprintf("%q is not a RefreshMode (use RefreshForce, RefreshIfExpired or leave it empty)", req.Refresh)}
	}
	out := new(Connection)
	op := newOperation(opGet, req.ProjectIDOrName, req.ConnectionID, out)
	if req.IncludeCreds {
		op.get.IncludeCreds = &req.IncludeCreds
	}
	if req.IncludeRefreshToken {
		op.get.IncludeRefreshToken = &req.IncludeRefreshToken
	}
	if req.Refresh != "" {
		op.get.Refresh = &req.Refresh
	}
	if err := c.do(ctx, &op, opts); err != nil {
		return nil, err
	}
	return out, nil
}

// ConnectionsUpdate is the standalone form of Client.Connections.Update (updateConnection).
func ConnectionsUpdate(ctx context.Context, c *Client, req UpdateConnectionRequest, opts ...Option) (*Connection, error) {
	if err := checkIDs(req.ProjectIDOrName, req.ConnectionID); err != nil {
		return nil, err
	}
	if err := checkUpdateMask(req.Params); err != nil {
		return nil, err
	}
	out := new(Connection)
	op := newOperation(opUpdate, req.ProjectIDOrName, req.ConnectionID, out)
	op.update = &req.Params
	if err := c.do(ctx, &op, opts); err != nil {
		return nil, err
	}
	return out, nil
}

// ConnectionsDelete is the standalone form of Client.Connections.Delete (deleteConnection).
func ConnectionsDelete(ctx context.Context, c *Client, req DeleteConnectionRequest, opts ...Option) error {
	if err := checkIDs(req.ProjectIDOrName, req.ConnectionID); err != nil {
		return err
	}
	op := newOperation(opDelete, req.ProjectIDOrName, req.ConnectionID, nil)
	return c.do(ctx, &op, opts)
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
