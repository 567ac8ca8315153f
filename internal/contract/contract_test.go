package contract

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// world is what a scenario knows of one server: the project, a connection of each auth scheme (seeded in the
// fake; any ID on Prism, which keeps no state), and the custom auth flow's resume inputs.
type world struct {
	*server
	project string
	conn    map[client.AuthScheme]string
	resume  func(ctx context.Context, redirect *client.CustomAuthRedirect) (client.CustomAuthConnectParams, error)
}

func newWorld(t *testing.T, s *server) *world {
	w := &world{server: s, project: "my-project", conn: map[client.AuthScheme]string{}}
	if s.fake == nil {
		for _, scheme := range client.AuthSchemeValues() {
			w.conn[scheme] = "2f1e0e5e-7d42-4c8a-9b55-0c6c1f2b7a10"
		}
		w.resume = func(context.Context, *client.CustomAuthRedirect) (client.CustomAuthConnectParams, error) {
			return client.CustomAuthConnectParams{ProjectIDOrName: w.project, SessionID: "7f3c1e2a-9b0d-4a1f-8c2e-1d2f3a4b5c6d",
				CallbackParams: map[string]string{"tenant": "9e1477fd-54ef-41fe-b747-bc9e6a11a925"}}, nil
		}
		return w
	}
	for _, p := range []client.GenerateConnectionParams{
		{APIKey: "k"}, {BasicAuth: client.BasicAuth{Username: "u", Password: "p"}},
		{OAuth2ClientCredentials: client.OAuth2ClientCredentials{ClientID: "i", ClientSecret: "s"}},
		{OAuth2PasswordCredentials: client.OAuth2PasswordCredentials{ClientID: "i", ClientSecret: "s", Username: "u", Password: "p"}},
		{OAuth2AuthorizationCode: client.OAuth2AuthorizationCode{AccessToken: client.OAuth2Token{Token: "a"}, RefreshToken: client.OAuth2Token{Token: "r"}}},
	} {
		p.Provider, p.GroupRef, p.ConsumerRef = "salesforce", "group-123", "consumer-123"
		c, err := s.fake.SeedConnection(w.project, p)
		if err != nil {
			t.Fatal(err)
		}
		w.conn[c.AuthScheme] = c.ID
	}
	w.resume = func(ctx context.Context, r *client.CustomAuthRedirect) (client.CustomAuthConnectParams, error) {
		if r == nil {
			return client.CustomAuthConnectParams{}, errors.New("the first step did not redirect")
		}
		params, err := s.fake.CompleteCustomAuth(ctx, r.URL.String())
		return client.CustomAuthConnectParams{ProjectIDOrName: w.project, SessionID: r.SessionID, CallbackParams: params}, err
	}
	return w
}

// call is one SDK call of the scenario and the operation it must reach.
type call struct {
	name string
	op   string
	run  func(ctx context.Context, w *world) error
}

// successType is the media type of each operation's success reply in the document ("": no body).
var successType = map[string]string{
	"listConnections": "application/json", "generateConnection": "application/json", "getConnection": "application/json",
	"updateConnection": "application/json", "deleteConnection": "", "oauthConnect": "text/plain",
	"oauthUpdate": "text/plain", "customAuthConnect": "application/json",
}

var (
	apiKeyConn = func(w *world) string { return w.conn[client.AuthSchemeAPIKey] }
	oauthConn  = func(w *world) string { return w.conn[client.AuthSchemeOAuth2AuthorizationCode] }
	meta       = client.ProviderMetadata{"instanceUrl": {Value: "https://acme.my.salesforce.com", Source: client.ProviderMetadataInfoSourceInput, DisplayName: "Instance URL"}}
	refs       = client.GenerateConnectionParams{Provider: "salesforce", GroupRef: "group-123", ConsumerRef: "consumer-123"}
	issued     = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

func generate(name string, edit func(*client.GenerateConnectionParams)) call {
	return call{name: "generate " + name, op: "generateConnection", run: func(ctx context.Context, w *world) error {
		p := refs
		edit(&p)
		_, err := w.c.Connections.Generate(ctx, client.GenerateConnectionRequest{ProjectIDOrName: w.project, Params: p})
		return err
	}}
}

func get(name string, conn func(*world) string, edit func(*client.GetConnectionRequest)) call {
	return call{name: "get " + name, op: "getConnection", run: func(ctx context.Context, w *world) error {
		r := client.GetConnectionRequest{ProjectIDOrName: w.project, ConnectionID: conn(w)}
		edit(&r)
		_, err := w.c.Connections.Get(ctx, r)
		return err
	}}
}

func update(mask client.UpdateMaskField, scheme client.AuthScheme, v client.ConnectionRequest) call {
	return call{name: "update " + string(mask), op: "updateConnection", run: func(ctx context.Context, w *world) error {
		_, err := w.c.Connections.Update(ctx, client.UpdateConnectionRequest{ProjectIDOrName: w.project, ConnectionID: w.conn[scheme],
			Params: client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{mask}, Connection: v}})
		return err
	}}
}

// scenario is every operation of the SDK, each optional parameter and each credential type.
var scenario = []call{
	{name: "list", op: "listConnections", run: func(ctx context.Context, w *world) error {
		_, err := w.c.Connections.List(ctx, client.ListConnectionsRequest{ProjectIDOrName: w.project})
		return err
	}},
	{name: "list with every filter", op: "listConnections", run: func(ctx context.Context, w *world) error {
		_, err := w.c.Connections.List(ctx, client.ListConnectionsRequest{ProjectIDOrName: w.project, Provider: "salesforce", GroupRef: "group-123", ConsumerRef: "consumer-123"})
		return err
	}},
	{name: "all", op: "listConnections", run: func(ctx context.Context, w *world) error {
		for _, err := range w.c.Connections.All(ctx, client.ListConnectionsRequest{ProjectIDOrName: w.project, Provider: "salesforce"}) {
			if err != nil {
				return err
			}
		}
		return nil
	}},
	generate("apiKey with every optional field", func(p *client.GenerateConnectionParams) {
		p.APIKey, p.GroupName, p.ConsumerName, p.ProviderWorkspaceRef, p.ProviderMetadata = "pat-na1-1", "Acme Corp", "Jane Doe", "acme.my.salesforce.com", meta
	}),
	generate("basicAuth", func(p *client.GenerateConnectionParams) { p.BasicAuth = client.BasicAuth{Username: "u", Password: "p"} }),
	generate("oauth2ClientCredentials", func(p *client.GenerateConnectionParams) {
		p.OAuth2ClientCredentials = client.OAuth2ClientCredentials{ClientID: "id", ClientSecret: "secret", Scopes: []string{"read", "write"}}
	}),
	generate("oauth2PasswordCredentials", func(p *client.GenerateConnectionParams) {
		p.OAuth2PasswordCredentials = client.OAuth2PasswordCredentials{ClientID: "id", ClientSecret: "secret", Username: "u", Password: "p", Scopes: []string{"read"}}
	}),
	generate("oauth2AuthorizationCode", func(p *client.GenerateConnectionParams) {
		p.OAuth2AuthorizationCode = client.OAuth2AuthorizationCode{Scopes: []string{"api", "refresh_token"},
			AccessToken:  client.OAuth2Token{Token: "access", IssuedAt: issued, ExpiresAt: issued.Add(time.Hour)},
			RefreshToken: client.OAuth2Token{Token: "refresh", IssuedAt: issued}}
	}),
	generate("customAuth", func(p *client.GenerateConnectionParams) {
		p.CustomAuth = map[string]any{"serviceAccountKey": "base64key", "scopes": []string{"https://mail.google.com/"}}
	}),
	get("", apiKeyConn, func(*client.GetConnectionRequest) {}),
	get("with creds", apiKeyConn, func(r *client.GetConnectionRequest) { r.IncludeCreds = true }),
	get("with creds and refresh token", oauthConn, func(r *client.GetConnectionRequest) { r.IncludeCreds, r.IncludeRefreshToken = true, true }),
	get("refresh force", oauthConn, func(r *client.GetConnectionRequest) { r.Refresh = client.RefreshModeForce }),
	get("refresh ifExpired", oauthConn, func(r *client.GetConnectionRequest) { r.Refresh = client.RefreshModeIfExpired }),
	update(client.UpdateMaskFieldAPIKey, client.AuthSchemeAPIKey, client.ConnectionRequest{APIKey: "new"}),
	update(client.UpdateMaskFieldBasicAuth, client.AuthSchemeBasic, client.ConnectionRequest{BasicAuth: client.BasicAuth{Username: "u2", Password: "p2"}}),
	update(client.UpdateMaskFieldOAuth2ClientCredentials, client.AuthSchemeOAuth2ClientCredentials,
		client.ConnectionRequest{OAuth2ClientCredentials: client.OAuth2ClientCredentials{ClientID: "id2", ClientSecret: "s2"}}),
	update(client.UpdateMaskFieldOAuth2PasswordCredentials, client.AuthSchemeOAuth2Password,
		client.ConnectionRequest{OAuth2PasswordCredentials: client.OAuth2PasswordCredentials{ClientID: "id2", ClientSecret: "s2", Username: "u2", Password: "p2"}}),
	update(client.UpdateMaskFieldProviderMetadata, client.AuthSchemeAPIKey, client.ConnectionRequest{ProviderMetadata: meta}),
	update(client.UpdateMaskFieldProviderWorkspaceRef, client.AuthSchemeAPIKey, client.ConnectionRequest{ProviderWorkspaceRef: "acme2"}),
	{name: "oauth connect", op: "oauthConnect", run: func(ctx context.Context, w *world) error {
		_, err := w.c.OAuth.Connect(ctx, client.OAuthConnectRequest{Params: client.OAuthConnectParams{ProjectIDOrName: w.project,
			Provider: "salesforce", GroupRef: "group-123", ConsumerRef: "consumer-123"}})
		return err
	}},
	{name: "oauth connect with every optional field", op: "oauthConnect", run: func(ctx context.Context, w *world) error {
		_, err := w.c.OAuth.Connect(ctx, client.OAuthConnectRequest{Params: client.OAuthConnectParams{ProjectIDOrName: w.project,
			Provider: "salesforce", GroupRef: "group-123", GroupName: "Acme", ConsumerRef: "consumer-123", ConsumerName: "Jane",
			ProviderWorkspaceRef: "acme", ProviderMetadata: meta}})
		return err
	}},
	{name: "oauth update", op: "oauthUpdate", run: func(ctx context.Context, w *world) error {
		_, err := w.c.OAuth.Update(ctx, client.OAuthUpdateRequest{ProjectIDOrName: w.project, ConnectionID: oauthConn(w)})
		return err
	}},
	{name: "custom auth, first step and resume", op: "customAuthConnect", run: func(ctx context.Context, w *world) error {
		first, err := w.c.Connections.CustomAuthConnect(ctx, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
			ProjectIDOrName: w.project, Provider: "bill", GroupRef: "group-123", GroupName: "Acme", ConsumerRef: "consumer-123",
			ConsumerName: "Jane", ProviderMetadata: meta, CustomAuth: map[string]any{"userName": "admin@acme.example", "password": "hunter2"}}})
		var redirect *client.CustomAuthRedirect
		if first != nil {
			redirect = first.Redirect
		}
		if err != nil && w.fake != nil {
			return err
		}
		p, err2 := w.resume(ctx, redirect)
		if err2 != nil {
			return err2
		}
		_, err2 = w.c.Connections.CustomAuthConnect(ctx, client.CustomAuthConnectRequest{Params: p})
		return errors.Join(err, err2)
	}},
	{name: "delete", op: "deleteConnection", run: func(ctx context.Context, w *world) error {
		return w.c.Connections.Delete(ctx, client.DeleteConnectionRequest{ProjectIDOrName: w.project, ConnectionID: w.conn[client.AuthSchemeBasic]})
	}},
}

// TestEveryOperationAgreesWithTheDocument sends the scenario to Prism and to the fake. On Prism a request
// passes when Prism reports no request violation and answers no 4xx; on the fake when it answers none of
// 400, 401, 406 and 415. Each request must reach the operation it was meant for.
func TestEveryOperationAgreesWithTheDocument(t *testing.T) {
	for _, s := range newServers(t) {
		w := newWorld(t, s)
		for _, c := range scenario {
			t.Run(s.name+"/"+c.name, func(t *testing.T) {
				n, m := s.rec.len(), s.log.len()
				err := c.run(context.Background(), w)
				judge(t, w, c.op, s.rec.since(n), err, s.log.since(m))
			})
		}
	}
}

// judge checks the exchanges of one call, its error and its DecodeIssues. Every call must succeed: the
// SDK decodes Prism's example replies, which break their own schema in places (providerApp.scopes as a
// nested array, an update reply without createTime and projectId), tolerantly — its issues naming exactly
// the values Prism reports as violations of the document. The fake's replies have no issue.
func judge(t *testing.T, w *world, op string, xs []exchange, err error, issues []client.DecodeIssue) {
	t.Helper()
	if len(xs) == 0 {
		t.Fatalf("nothing was sent (err: %v)", err)
	}
	var violations []string
	for _, x := range xs {
		where := fmt.Sprintf("%s %s → %d %s", x.method, short(x.target), x.status, x.contentType)
		if w.fake == nil {
			if v := x.requestViolations(); len(v) > 0 {
				t.Errorf("%s: Prism reports that the request breaks Ampersand's document: %+v", where, v)
			}
			if x.status >= 400 && x.status < 500 {
				t.Errorf("%s: Prism refused a valid request", where)
			}
			if want := successType[op]; x.status < 300 && x.mediaType() != want {
				t.Errorf("%s: reached an operation answering %q, want %s's %q", where, x.mediaType(), op, want)
			}
			violations = append(violations, x.responseViolations()...)
			continue
		}
		switch x.status {
		case 400, 401, 406, 415:
			t.Errorf("%s: the fake refused a valid request (err: %v)", where, err)
		}
	}
	if w.fake != nil {
		reqs := w.fake.Requests()
		if got := reqs[len(reqs)-1].Operation; string(got) != op {
			t.Errorf("the fake routed the request to %q, want %q", got, op)
		}
	}
	if err != nil {
		t.Errorf("want success, got %v", err)
	}
	pointers := make([]string, len(issues))
	for i, is := range issues {
		pointers[i] = is.Pointer
		if is.Kind == client.DecodeIssueMissing { // Prism reports a missing property at its object
			pointers[i] = is.Pointer[:strings.LastIndexByte(is.Pointer, '/')]
		}
		t.Logf("decode issue: %s", is)
	}
	slices.Sort(pointers)
	slices.Sort(violations)
	if w.fake != nil && len(issues) > 0 {
		t.Errorf("the fake's reply has decode issues: %v", issues)
	}
	if w.fake == nil && !slices.Equal(pointers, violations) {
		t.Errorf("decode issues at %q, Prism's response violations at %q", pointers, violations)
	}
}

func short(s string) string {
	if len(s) > 160 {
		return s[:80] + "…" + s[len(s)-80:]
	}
	if u, err := url.PathUnescape(s); err == nil && strings.ContainsAny(u, "\n\r") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
