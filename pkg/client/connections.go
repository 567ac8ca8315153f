package client

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
)

// The models (Connection, GenerateConnectionParams, …), credential types and enum constants are the types of
// package gen under the same names, aliased in models.gen.go (written by tools/aliasgen).

// ListConnectionsRequest selects the connections of a project. Empty filters are not sent, so an empty
// filter matches everything: ConsumerRef "" lists every consumer's connections, not "none". Code that shows
// one user their connection must refuse an empty ConsumerRef, or it shows whoever connected last.
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
// IncludeCreds adds the API key (Connection.APIKey) and the OAuth2 access token and scopes
// (Connection.OAuth2AuthorizationCode), IncludeRefreshToken adds the refresh token too.
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
			accept:     []string{"application/json, application/problem+json"},
			idempotent: true, maxBody: DefaultMaxListResponseBytes},
		path: func(r *ListConnectionsRequest) []string { return []string{"ProjectIDOrName", r.ProjectIDOrName} },
		query: func(r *ListConnectionsRequest) []string {
			return []string{"provider", r.Provider, "groupRef", r.GroupRef, "consumerRef", r.ConsumerRef}
		},
		decode: func(r reply, out *[]Connection) error { return decodeList(r.body, r.length, r.rep, out) },
	}
	generateConnection = &endpoint[GenerateConnectionRequest, *Connection]{
		operation: operation{id: "generateConnection", method: http.MethodPost, route: "/projects/{projectIdOrName}/connections:generate",
			accept:  []string{"application/json, application/problem+json"},
			maxBody: DefaultMaxResponseBytes},
		path: func(r *GenerateConnectionRequest) []string { return []string{"ProjectIDOrName", r.ProjectIDOrName} },
		check: func(r *GenerateConnectionRequest) error {
			if err := requireFields("Params.", "Provider", r.Params.Provider, "GroupRef", r.Params.GroupRef, "ConsumerRef", r.Params.ConsumerRef); err != nil {
				return err
			}
			return checkInputs("Params.CustomAuth", r.Params.CustomAuth)
		},
		body:   func(r *GenerateConnectionRequest) any { return r.Params },
		decode: decodeOne,
	}
	getConnection = &endpoint[GetConnectionRequest, *Connection]{
		operation: operation{id: "getConnection", method: http.MethodGet, route: "/projects/{projectIdOrName}/connections/{connectionId}",
			accept:     []string{"application/json, application/problem+json"},
			idempotent: true, maxBody: DefaultMaxResponseBytes},
		path: func(r *GetConnectionRequest) []string {
			return []string{"ProjectIDOrName", r.ProjectIDOrName, "ConnectionID", r.ConnectionID}
		},
		check: func(r *GetConnectionRequest) error {
			if r.Refresh != "" && !r.Refresh.Valid() {
				return &ValidationError{Field: "Refresh", Reason: fmt.Sprintf("%q is not a RefreshMode (use RefreshModeForce, RefreshModeIfExpired or leave it empty)", r.Refresh)}
			}
			return nil
		},
		query: func(r *GetConnectionRequest) []string {
			return []string{"includeCreds", flag(r.IncludeCreds), "includeRefreshToken", flag(r.IncludeRefreshToken), "refresh", string(r.Refresh)}
		},
		decode: decodeOne,
	}
	updateConnection = &endpoint[UpdateConnectionRequest, *Connection]{
		operation: operation{id: "updateConnection", method: http.MethodPatch, route: "/projects/{projectIdOrName}/connections/{connectionId}",
			accept:     []string{"application/json, application/problem+json"},
			idempotent: true, maxBody: DefaultMaxResponseBytes},
		path: func(r *UpdateConnectionRequest) []string {
			return []string{"ProjectIDOrName", r.ProjectIDOrName, "ConnectionID", r.ConnectionID}
		},
		check:  func(r *UpdateConnectionRequest) error { return checkUpdateMask(r.Params) },
		body:   func(r *UpdateConnectionRequest) any { return r.Params },
		decode: decodeOne,
	}
	deleteConnection = &endpoint[DeleteConnectionRequest, struct{}]{
		operation: operation{id: "deleteConnection", method: http.MethodDelete, route: "/projects/{projectIdOrName}/connections/{connectionId}",
			accept:     []string{"application/problem+json"},
			idempotent: true},
		path: func(r *DeleteConnectionRequest) []string {
			return []string{"ProjectIDOrName", r.ProjectIDOrName, "ConnectionID", r.ConnectionID}
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
func decodeOne(r reply, out **Connection) error {
	v := new(Connection)
	if err := decodeConnectionBody(r.body, r.rep, v); err != nil {
		return err
	}
	*out = v
	return nil
}

// checkUpdateMask refuses an update that cannot succeed: an empty mask, a mask value the spec does not
// define, or one whose field is unset in Params.Connection — zero, or an empty map (an unset value is
// not sent, so the server would reject it). Which field a mask value names is MaskedField's one rule.
func checkUpdateMask(p UpdateConnectionParams) error {
	if len(p.UpdateMask) == 0 {
		return &ValidationError{Field: "Params.UpdateMask", Reason: "is empty: name the fields to update"}
	}
	for i, f := range p.UpdateMask {
		if !f.Valid() {
			return &ValidationError{Field: fmt.Sprintf("Params.UpdateMask[%d]", i), Reason: fmt.Sprintf("%q is not an updatable field (the values are UpdateMaskFieldValues())", f)}
		}
		if v, ok := MaskedField(&p.Connection, f); ok {
			if rv := reflect.ValueOf(v).Elem(); rv.IsZero() || rv.Kind() == reflect.Map && rv.Len() == 0 {
				return &ValidationError{Field: "Params.Connection." + string(f), Reason: fmt.Sprintf("is named in UpdateMask[%d] but not set", i)}
			}
		}
	}
	return nil
}

// MaskedField returns a pointer to the field of c that the update mask value f names — the field of
// ConnectionRequest whose JSON name is f: MaskedField(&c, UpdateMaskFieldAPIKey) is &c.APIKey, a *string —
// and false when ConnectionRequest has no such field. This is the one rule of update masks: the spec's mask
// values are property names of ConnectionRequest, so a value the spec adds works here without code edits.
func MaskedField(c *ConnectionRequest, f UpdateMaskField) (any, bool) {
	i, ok := connectionRequestFields()[string(f)]
	if !ok || c == nil {
		return nil, false
	}
	return reflect.ValueOf(c).Elem().Field(i).Addr().Interface(), true
}

// connectionRequestFields maps the JSON names of ConnectionRequest's fields to their indexes.
var connectionRequestFields = sync.OnceValue(func() map[string]int {
	t := reflect.TypeFor[ConnectionRequest]()
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
})

// flag is a boolean query parameter: "true", or "" (absent) for false.
func flag(b bool) string {
	if b {
		return "true"
	}
	return ""
}
