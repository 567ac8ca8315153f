package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"github.com/ampersand-sdk/ampersand-go/gen"
)

// OAuthService starts OAuth flows: an authorization URL that creates a connection (Connect) or
// re-authorizes one (Update) when the customer's browser opens it and the customer grants access. Each
// method is the standalone function of the same name with the client (OAuth.Connect is OAuthConnect).
type OAuthService struct{ client *Client }

// OAuthConnectRequest asks for the authorization URL of a new OAuth connection.
type OAuthConnectRequest struct {
	Params OAuthConnectParams // ProjectIDOrName, Provider, GroupRef and ConsumerRef are required
}

// OAuthUpdateRequest asks for an authorization URL that re-authorizes an existing connection (new tokens,
// for example after its refresh token was revoked).
type OAuthUpdateRequest struct {
	ProjectIDOrName string
	ConnectionID    string
}

// CustomAuthConnectRequest starts or resumes a multi-step custom auth flow. The first call gives
// Params.ProjectIDOrName, Provider, GroupRef, ConsumerRef and the CustomAuth inputs; when the result is a
// redirect, open its URL, then call again with ProjectIDOrName, SessionID and the CallbackParams the
// provider sent back, until the result is a connection.
type CustomAuthConnectRequest struct {
	Params CustomAuthConnectParams
}

// CustomAuthConnectResult is one step of a custom auth flow: exactly one of its fields is set.
type CustomAuthConnectResult struct {
	Redirect   *CustomAuthRedirect // open Redirect.URL, then resume with Redirect.SessionID
	Connection *Connection         // the flow is complete
}

// CustomAuthRedirect says where the customer's browser must go to continue a custom auth flow.
type CustomAuthRedirect struct {
	URL       *url.URL // a safe absolute URL (see OAuthConnect)
	SessionID string
}

// The connect operations, each described once.
var (
	oauthConnect = &endpoint[OAuthConnectRequest, *url.URL]{
		operation: operation{id: "oauthConnect", method: http.MethodPost, route: "/oauth-connect",
			accept:     []string{"text/plain, application/problem+json"},
			idempotent: true, maxBody: DefaultMaxResponseBytes}, // it only mints a URL
		project: func(r *OAuthConnectRequest) string { return r.Params.ProjectIDOrName },
		check: func(r *OAuthConnectRequest) error {
			p := r.Params
			if err := checkID("Params.ProjectIDOrName", p.ProjectIDOrName); err != nil {
				return err
			}
			return requireFields("Params.", "Provider", p.Provider, "GroupRef", p.GroupRef, "ConsumerRef", p.ConsumerRef)
		},
		body:   func(r *OAuthConnectRequest) any { return r.Params },
		decode: decodeURL,
	}
	oauthUpdate = &endpoint[OAuthUpdateRequest, *url.URL]{
		operation: operation{id: "oauthUpdate", method: http.MethodPatch, route: "/projects/{projectIdOrName}/connections/{connectionId}:oauth-update",
			accept:     []string{"text/plain, application/problem+json"},
			idempotent: true, maxBody: DefaultMaxResponseBytes},
		path: func(r *OAuthUpdateRequest) []string {
			return []string{"ProjectIDOrName", r.ProjectIDOrName, "ConnectionID", r.ConnectionID}
		},
		decode: decodeURL,
	}
	customAuthConnect = &endpoint[CustomAuthConnectRequest, *CustomAuthConnectResult]{
		// It may exchange credentials and create a connection: retried only as generateConnection is.
		operation: operation{id: "customAuthConnect", method: http.MethodPost, route: "/custom-auth/connect",
			accept:  []string{"application/json, application/problem+json"},
			maxBody: DefaultMaxResponseBytes},
		project: func(r *CustomAuthConnectRequest) string { return r.Params.ProjectIDOrName },
		check: func(r *CustomAuthConnectRequest) error {
			p := r.Params
			if err := checkID("Params.ProjectIDOrName", p.ProjectIDOrName); err != nil {
				return err
			}
			if err := checkInputs("Params.CustomAuth", p.CustomAuth); err != nil {
				return err
			}
			if p.SessionID != "" { // a resume call: the session holds the flow's inputs
				return nil
			}
			return requireFields("Params.", "Provider", p.Provider, "GroupRef", p.GroupRef, "ConsumerRef", p.ConsumerRef)
		},
		body:   func(r *CustomAuthConnectRequest) any { return r.Params },
		decode: decodeCustomAuthStep,
	}
)

// Connect returns the URL to send the customer's browser to, which creates the connection once the
// customer grants access. It is OAuthConnect.
func (s *OAuthService) Connect(ctx context.Context, req OAuthConnectRequest, opts ...Option) (*url.URL, error) {
	return OAuthConnect(ctx, s.owner(), req, opts...)
}

// Update returns the URL to send the customer's browser to, which re-authorizes the connection. It is
// OAuthUpdate.
func (s *OAuthService) Update(ctx context.Context, req OAuthUpdateRequest, opts ...Option) (*url.URL, error) {
	return OAuthUpdate(ctx, s.owner(), req, opts...)
}

func (s *OAuthService) owner() *Client {
	if s == nil {
		return nil
	}
	return s.client
}

// CustomAuthConnect runs one step of a multi-step custom auth flow. It is ConnectionsCustomAuthConnect. It
// may create a connection, so it is retried only when the server cannot have acted (see
// WithRetryNonIdempotent).
func (s *ConnectionsService) CustomAuthConnect(ctx context.Context, req CustomAuthConnectRequest, opts ...Option) (*CustomAuthConnectResult, error) {
	return ConnectionsCustomAuthConnect(ctx, s.owner(), req, opts...)
}

// OAuthConnect is the standalone form of Client.OAuth.Connect (oauthConnect). The URL is checked before it
// is returned, since programs send browsers to it: an absolute https URL with a host and no user info —
// plain http only when the configured server is itself plain http on loopback (a fake) — else the call
// fails with a *DecodeError holding the body.
func OAuthConnect(ctx context.Context, c *Client, req OAuthConnectRequest, opts ...Option) (*url.URL, error) {
	return oauthConnect.call(ctx, c, req, opts)
}

// OAuthUpdate is the standalone form of Client.OAuth.Update (oauthUpdate). Its URL is checked as
// OAuthConnect's is.
func OAuthUpdate(ctx context.Context, c *Client, req OAuthUpdateRequest, opts ...Option) (*url.URL, error) {
	return oauthUpdate.call(ctx, c, req, opts)
}

// ConnectionsCustomAuthConnect is the standalone form of Client.Connections.CustomAuthConnect
// (customAuthConnect). A CustomAuth input that JSON cannot encode (NaN, ±Inf, a channel, a function, a
// complex number) is a *ValidationError naming it, before any I/O. A reply with both or neither of the
// properties redirect and connection (whatever they hold; null counts as absent), or with a redirect URL
// that OAuthConnect would refuse, is a *DecodeError.
func ConnectionsCustomAuthConnect(ctx context.Context, c *Client, req CustomAuthConnectRequest, opts ...Option) (*CustomAuthConnectResult, error) {
	return customAuthConnect.call(ctx, c, req, opts)
}

// decodeURL reads a text/plain body that holds one URL (a JSON string is accepted too) and checks it.
func decodeURL(r reply, out **url.URL) error {
	raw, err := io.ReadAll(r.body)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(string(raw))
	if strings.HasPrefix(text, `"`) {
		if err := json.Unmarshal([]byte(text), &text); err != nil {
			return fmt.Errorf("the body is neither a URL nor a JSON string: %w", err)
		}
	}
	u, err := safeURL(text, r.server)
	if err != nil {
		return err
	}
	*out = u
	return nil
}

// safeURL parses a URL the API returned for a browser to open, and refuses what a browser must not be sent
// to: anything but one absolute https URL with a host (http is allowed only when the configured server is
// plain http on loopback, as a fake server is), user info, whitespace or control characters.
func safeURL(text string, server *serverURL) (*url.URL, error) {
	if text == "" {
		return nil, errors.New("empty body: no URL")
	}
	if i := strings.IndexFunc(text, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		return nil, fmt.Errorf("the body is not one URL: it holds %q at byte %d", text[i:i+1], i)
	}
	u, err := url.Parse(text)
	switch {
	case err != nil:
		return nil, fmt.Errorf("not a URL: %w", err)
	case !u.IsAbs() || u.Opaque != "":
		return nil, fmt.Errorf("%q is not an absolute URL", text)
	case u.Scheme == "http" && !(server != nil && server.loop && !server.https):
		return nil, fmt.Errorf("%q is plain http, allowed only when the configured server is plain http on loopback", text)
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("%q: the scheme %q is not https", text, u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("%q has no host", text)
	case u.User != nil:
		return nil, fmt.Errorf("%q carries user info", text)
	}
	return u, nil
}

// decodeCustomAuthStep decodes a customAuthConnect reply into its one step. Which one is decided by the
// properties decoded from the body (null or another type counts as absent), not by their values, which may be
// empty or zero.
func decodeCustomAuthStep(r reply, out **CustomAuthConnectResult) error {
	var v gen.CustomAuthConnectResponse
	d := newDecoder(r.body, r.rep)
	defer d.release()
	if err := d.start('{', "a CustomAuthConnectResponse object"); err != nil {
		return err
	}
	got, err := d.object(customAuthCodec, reflect.ValueOf(&v).Elem())
	if err != nil {
		return err
	}
	if err := d.end(); err != nil {
		return err
	}
	connection, redirect := got&customAuthCodec.bit("connection") != 0, got&customAuthCodec.bit("redirect") != 0
	switch {
	case redirect == connection:
		return fmt.Errorf("expected exactly one of redirect and connection, found %s", map[bool]string{true: "both", false: "neither"}[redirect])
	case connection && v.Connection.ID == "":
		return &decodeProblem{pointer: "/connection/id", msg: "the connection has no usable id: there is nothing to return"}
	case connection:
		*out = &CustomAuthConnectResult{Connection: &v.Connection}
		return nil
	}
	u, err := safeURL(v.Redirect.URL, r.server)
	if err != nil {
		return &decodeProblem{pointer: "/redirect/url", msg: "unsafe redirect URL", err: err}
	}
	*out = &CustomAuthConnectResult{Redirect: &CustomAuthRedirect{URL: u, SessionID: v.Redirect.SessionID}}
	return nil
}

// checkInputs refuses, naming it, a custom auth input that JSON cannot encode — NaN, ±Inf, a channel, a
// function, a complex number, also nested — which would fail the request's encoding.
func checkInputs(field string, inputs map[string]any) error {
	for _, k := range slices.Sorted(maps.Keys(inputs)) {
		if _, err := json.Marshal(inputs[k]); err != nil {
			return &ValidationError{Field: fmt.Sprintf("%s[%q]", field, k), Reason: "cannot be encoded as JSON: " + err.Error()}
		}
	}
	return nil
}
