package amptest

import (
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

func TestGenerateConnection(t *testing.T) {
	clock := newManualClock()
	h := newHarness(t, WithClock(clock.Now), WithProject(Project{ID: "proj-id", Name: "my-project"}))
	c := h.generate("my-project", client.GenerateConnectionParams{
		Provider: "hubspot", GroupRef: "g1", GroupName: "Acme", ConsumerRef: "c1", ProviderWorkspaceRef: "acme",
		APIKey: "secret-key",
	})
	now := clock.Now()
	want := client.Connection{
		ID: c.ID, ProjectID: "proj-id", Provider: "hubspot", ProviderWorkspaceRef: "acme",
		Group:      client.Group{GroupRef: "g1", GroupName: "Acme", ProjectID: "proj-id", CreateTime: now},
		Consumer:   client.Consumer{ConsumerRef: "c1", ConsumerName: "c1", ProjectID: "proj-id", CreateTime: now},
		AuthScheme: client.AuthSchemeAPIKey, Status: client.ConnectionStatusCreated, CreateTime: now, UpdateTime: now,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("generated\n%+v\nwant\n%+v", c, want)
	}
	if len(c.ID) != 36 {
		t.Errorf("ID %q is not a UUID", c.ID)
	}
	stored, ok := h.srv.Connection("proj-id", c.ID)
	if !ok || stored.APIKey != "secret-key" {
		t.Errorf("stored connection = %+v, %v; want the API key kept", stored, ok)
	}

	// Same refs again: a new connection, sharing the group and consumer made the first time.
	clock.Advance(time.Minute)
	again := h.generate("proj-id", client.GenerateConnectionParams{
		Provider: "hubspot", GroupRef: "g1", GroupName: "Other name", ConsumerRef: "c1", APIKey: "secret-key",
	})
	if again.ID == c.ID || again.Group != c.Group || again.Consumer != c.Consumer {
		t.Errorf("second generate = %+v; want a new ID and the first group and consumer", again)
	}
	if n := len(h.srv.Connections("my-project")); n != 2 {
		t.Errorf("%d connections stored, want 2", n)
	}
}

func TestGenerateAuthSchemes(t *testing.T) {
	h := newHarness(t)
	base := apiKeyParams("x")
	base.APIKey = ""
	cases := []struct {
		name  string
		edit  func(*client.GenerateConnectionParams)
		want  client.AuthScheme
		creds func(client.ConnectionRequest) bool
	}{
		{"none", func(*client.GenerateConnectionParams) {}, client.AuthSchemeNone,
			func(c client.ConnectionRequest) bool { return reflect.ValueOf(c).IsZero() }},
		{"apiKey", func(p *client.GenerateConnectionParams) { p.APIKey = "k" }, client.AuthSchemeAPIKey,
			func(c client.ConnectionRequest) bool { return c.APIKey == "k" }},
		{"basicAuth", func(p *client.GenerateConnectionParams) { p.BasicAuth = client.BasicAuth{Username: "u", Password: "p"} },
			client.AuthSchemeBasic, func(c client.ConnectionRequest) bool { return c.BasicAuth.Password == "p" }},
		{"clientCredentials", func(p *client.GenerateConnectionParams) {
			p.OAuth2ClientCredentials = client.OAuth2ClientCredentials{ClientID: "id", ClientSecret: "s", Scopes: []string{"r"}}
		}, client.AuthSchemeOAuth2ClientCredentials,
			func(c client.ConnectionRequest) bool { return c.OAuth2ClientCredentials.ClientSecret == "s" }},
		{"password", func(p *client.GenerateConnectionParams) {
			p.OAuth2PasswordCredentials = client.OAuth2PasswordCredentials{Username: "u", Password: "p", ClientID: "i", ClientSecret: "s"}
		}, client.AuthSchemeOAuth2Password,
			func(c client.ConnectionRequest) bool { return c.OAuth2PasswordCredentials.Password == "p" }},
		{"authorizationCode", func(p *client.GenerateConnectionParams) {
			p.OAuth2AuthorizationCode = client.OAuth2AuthorizationCode{RefreshToken: client.OAuth2Token{Token: "r"}}
		}, client.AuthSchemeOAuth2AuthorizationCode,
			func(c client.ConnectionRequest) bool { return c.OAuth2AuthorizationCode.RefreshToken.Token == "r" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			p.CustomAuth = map[string]any{"scopes": []any{"a"}}
			tc.edit(&p)
			c := h.generate("schemes", p)
			if c.AuthScheme != tc.want || c.APIKey != "" || !reflect.ValueOf(c.OAuth2AuthorizationCode).IsZero() {
				t.Errorf("authScheme %q (want %q), credentials in the reply: %+v", c.AuthScheme, tc.want, c)
			}
			creds, ok := h.srv.Credentials("schemes", c.ID)
			custom := creds.CustomAuth
			creds.CustomAuth = nil
			if !ok || !tc.creds(creds) || !reflect.DeepEqual(custom, map[string]any{"scopes": []any{"a"}}) {
				t.Errorf("stored credentials = %+v, customAuth %v", creds, custom)
			}
		})
	}
}

func TestGenerateImportsAuthorizationCode(t *testing.T) {
	clock := newManualClock()
	h := newHarness(t, WithClock(clock.Now))
	issued := clock.Now().Add(-time.Hour)
	given := client.OAuth2AuthorizationCode{
		AccessToken:  client.OAuth2Token{Token: "access", IssuedAt: issued, ExpiresAt: issued.Add(2 * time.Hour)},
		RefreshToken: client.OAuth2Token{Token: "refresh"},
		Scopes:       []string{"api"},
	}
	p := apiKeyParams("a")
	p.APIKey, p.OAuth2AuthorizationCode = "", given
	kept := h.generate("p", p)
	if stored, _ := h.srv.Connection("p", kept.ID); !reflect.DeepEqual(stored.OAuth2AuthorizationCode, given) {
		t.Errorf("stored tokens %+v, want the imported %+v", stored.OAuth2AuthorizationCode, given)
	}

	p.OAuth2AuthorizationCode = client.OAuth2AuthorizationCode{RefreshToken: client.OAuth2Token{Token: "refresh"}}
	minted := h.generate("p", p)
	stored, _ := h.srv.Connection("p", minted.ID)
	at := stored.OAuth2AuthorizationCode.AccessToken
	if at.Token == "" || at.Token[:15] != "amptest-access-" || !at.IssuedAt.Equal(clock.Now()) ||
		!at.ExpiresAt.Equal(clock.Now().Add(time.Hour)) {
		t.Errorf("minted access token %+v", at)
	}
}

func TestListConnections(t *testing.T) {
	h := newHarness(t)
	if r := h.send(http.MethodGet, connectionsPath("never-used"), nil); string(r.body) != "[]\n" {
		t.Errorf("unknown project lists %q, want []", r.body)
	}
	var ids []string
	for _, p := range []client.GenerateConnectionParams{
		{Provider: "hubspot", GroupRef: "g1", ConsumerRef: "c1", APIKey: "k1"},
		{Provider: "salesforce", GroupRef: "g1", ConsumerRef: "c2", OAuth2AuthorizationCode: client.OAuth2AuthorizationCode{
			RefreshToken: client.OAuth2Token{Token: "r"}}},
		{Provider: "hubspot", GroupRef: "g2", ConsumerRef: "c2"},
	} {
		ids = append(ids, h.generate("p", p).ID)
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"", ids},
		{"?provider=", ids},
		{"?provider=hubspot", []string{ids[0], ids[2]}},
		{"?groupRef=g1", ids[:2]},
		{"?consumerRef=c2&provider=hubspot", ids[2:]},
		{"?groupRef=nope", nil},
	}
	for _, tc := range cases {
		list := expectJSON[[]client.Connection](t, h.send(http.MethodGet, connectionsPath("p")+tc.query, nil), http.StatusOK)
		var got []string
		for _, c := range list {
			got = append(got, c.ID)
			if c.APIKey != "" || !reflect.ValueOf(c.OAuth2AuthorizationCode).IsZero() {
				t.Errorf("list%s shows credentials: %+v", tc.query, c)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("list%s = %v, want %v", tc.query, got, tc.want)
		}
	}
}

func TestGetConnectionCredentialViews(t *testing.T) {
	h := newHarness(t)
	code := client.OAuth2AuthorizationCode{
		AccessToken: client.OAuth2Token{Token: "access"}, RefreshToken: client.OAuth2Token{Token: "refresh"},
		Scopes: []string{"api"},
	}
	oauth := h.generate("p", client.GenerateConnectionParams{
		Provider: "salesforce", GroupRef: "g", ConsumerRef: "c", OAuth2AuthorizationCode: code})
	key := h.generate("p", apiKeyParams("k"))
	accessOnly := client.OAuth2AuthorizationCode{AccessToken: code.AccessToken, Scopes: code.Scopes}
	cases := []struct {
		query      string
		wantCode   client.OAuth2AuthorizationCode
		wantAPIKey string
	}{
		{"", client.OAuth2AuthorizationCode{}, ""},
		{"?includeCreds=false", client.OAuth2AuthorizationCode{}, ""},
		{"?includeCreds=true", accessOnly, "key-k"},
		{"?includeRefreshToken=true", code, "key-k"},
		{"?includeRefreshToken=true&includeCreds=false", code, "key-k"},
		{"?includeRefreshToken=false&includeCreds=true", accessOnly, "key-k"},
	}
	for _, tc := range cases {
		got := expectJSON[client.Connection](t, h.send(http.MethodGet, connectionPath("p", oauth.ID)+tc.query, nil), http.StatusOK)
		if !reflect.DeepEqual(got.OAuth2AuthorizationCode, tc.wantCode) {
			t.Errorf("get%s: tokens %+v, want %+v", tc.query, got.OAuth2AuthorizationCode, tc.wantCode)
		}
		got = expectJSON[client.Connection](t, h.send(http.MethodGet, connectionPath("p", key.ID)+tc.query, nil), http.StatusOK)
		if got.APIKey != tc.wantAPIKey {
			t.Errorf("get%s: apiKey %q, want %q", tc.query, got.APIKey, tc.wantAPIKey)
		}
	}
}

func TestGetConnectionRefresh(t *testing.T) {
	clock := newManualClock()
	h := newHarness(t, WithClock(clock.Now))
	oauth := h.generate("p", client.GenerateConnectionParams{Provider: "salesforce", GroupRef: "g", ConsumerRef: "c",
		OAuth2AuthorizationCode: client.OAuth2AuthorizationCode{RefreshToken: client.OAuth2Token{Token: "r"}}})
	key := h.generate("p", apiKeyParams("k"))
	get := func(id, refresh string) client.Connection {
		t.Helper()
		return expectJSON[client.Connection](t, h.send(http.MethodGet,
			connectionPath("p", id)+"?includeCreds=true&refresh="+refresh, nil), http.StatusOK)
	}
	first := h.srv.Connections("p")[0].OAuth2AuthorizationCode.AccessToken

	clock.Advance(30 * time.Minute)
	if got := get(oauth.ID, "ifExpired"); got.OAuth2AuthorizationCode.AccessToken != first {
		t.Errorf("ifExpired renewed a valid token: %+v", got.OAuth2AuthorizationCode.AccessToken)
	}
	forced := get(oauth.ID, "force")
	at := forced.OAuth2AuthorizationCode.AccessToken
	if at.Token == first.Token || !at.IssuedAt.Equal(clock.Now()) || !at.ExpiresAt.Equal(clock.Now().Add(time.Hour)) ||
		!forced.UpdateTime.Equal(clock.Now()) || forced.Status != client.ConnectionStatusCreated {
		t.Errorf("force: %+v", forced)
	}

	clock.Advance(2 * time.Hour)
	expired := get(oauth.ID, "ifExpired")
	if expired.OAuth2AuthorizationCode.AccessToken.Token == at.Token ||
		!expired.OAuth2AuthorizationCode.AccessToken.IssuedAt.Equal(clock.Now()) {
		t.Errorf("ifExpired kept an expired token: %+v", expired.OAuth2AuthorizationCode.AccessToken)
	}
	if stored, _ := h.srv.Connection("p", oauth.ID); stored.OAuth2AuthorizationCode.AccessToken != expired.OAuth2AuthorizationCode.AccessToken {
		t.Errorf("the renewed token was not stored")
	}
	if got := get(key.ID, "force"); !got.UpdateTime.Equal(key.UpdateTime) {
		t.Errorf("refresh of an apiKey connection changed it: %+v", got)
	}
}

func TestUpdateConnection(t *testing.T) {
	clock := newManualClock()
	h := newHarness(t, WithClock(clock.Now))
	c := h.generate("p", apiKeyParams("u"))
	clock.Advance(time.Minute)
	meta := client.ProviderMetadata{"instance": {Value: "123", Source: client.ProviderMetadataInfoSourceInput}}
	got := expectJSON[client.Connection](t, h.send(http.MethodPatch, connectionPath("p", c.ID), client.UpdateConnectionParams{
		UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldAPIKey, client.UpdateMaskFieldProviderWorkspaceRef,
			client.UpdateMaskFieldProviderMetadata},
		Connection: client.ConnectionRequest{APIKey: "rotated", ProviderWorkspaceRef: "ws", ProviderMetadata: meta,
			Provider: "ignored-because-not-masked"},
	}), http.StatusOK)
	if got.APIKey != "" || got.ProviderWorkspaceRef != "ws" || !reflect.DeepEqual(got.ProviderMetadata, meta) ||
		got.Provider != "hubspot" || !got.UpdateTime.Equal(clock.Now()) || !got.CreateTime.Equal(c.CreateTime) {
		t.Errorf("updated connection %+v", got)
	}
	if creds, _ := h.srv.Credentials("p", c.ID); creds.APIKey != "rotated" {
		t.Errorf("stored apiKey %q, want rotated", creds.APIKey)
	}

}

func TestUpdateConnectionCredentials(t *testing.T) {
	h := newHarness(t)
	clientCred := client.OAuth2ClientCredentials{ClientID: "id", ClientSecret: "old"}
	passCred := client.OAuth2PasswordCredentials{Username: "u", Password: "old", ClientID: "i", ClientSecret: "s"}
	cases := []struct {
		name   string
		create client.GenerateConnectionParams
		update client.UpdateConnectionParams
		stored func(client.ConnectionRequest) any
	}{
		{"basicAuth", client.GenerateConnectionParams{BasicAuth: client.BasicAuth{Username: "u", Password: "old"}},
			client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldBasicAuth},
				Connection: client.ConnectionRequest{BasicAuth: client.BasicAuth{Username: "u2", Password: "new"}}},
			func(c client.ConnectionRequest) any { return c.BasicAuth }},
		{"oauth2ClientCredentials", client.GenerateConnectionParams{OAuth2ClientCredentials: clientCred},
			client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldOAuth2ClientCredentials},
				Connection: client.ConnectionRequest{OAuth2ClientCredentials: client.OAuth2ClientCredentials{
					ClientID: "id", ClientSecret: "new", Scopes: []string{"read"}}}},
			func(c client.ConnectionRequest) any { return c.OAuth2ClientCredentials }},
		{"oauth2PasswordCredentials", client.GenerateConnectionParams{OAuth2PasswordCredentials: passCred},
			client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldOAuth2PasswordCredentials},
				Connection: client.ConnectionRequest{OAuth2PasswordCredentials: client.OAuth2PasswordCredentials{
					Username: "u", Password: "new", ClientID: "i", ClientSecret: "s"}}},
			func(c client.ConnectionRequest) any { return c.OAuth2PasswordCredentials }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.create
			p.Provider, p.GroupRef, p.ConsumerRef = "x", "g", "c"
			c := h.generate("p", p)
			expectJSON[client.Connection](t, h.send(http.MethodPatch, connectionPath("p", c.ID), tc.update), http.StatusOK)
			creds, _ := h.srv.Credentials("p", c.ID)
			want := tc.stored(tc.update.Connection)
			if got := tc.stored(creds); !reflect.DeepEqual(got, want) {
				t.Errorf("stored %+v, want %+v", got, want)
			}
		})
	}
}

func TestUpdateConnectionMaskErrors(t *testing.T) {
	h := newHarness(t)
	key := h.generate("p", apiKeyParams("m"))
	none := h.generate("p", client.GenerateConnectionParams{Provider: "x", GroupRef: "g", ConsumerRef: "c"})
	cases := []struct {
		name       string
		id         string
		params     client.UpdateConnectionParams
		wantIssues []issueKey
		wantRemedy string
	}{
		{"credential of another scheme", key.ID, client.UpdateConnectionParams{
			UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldProviderWorkspaceRef, client.UpdateMaskFieldBasicAuth},
			Connection: client.ConnectionRequest{ProviderWorkspaceRef: "ws", BasicAuth: client.BasicAuth{Username: "u", Password: "p"}},
		}, []issueKey{{"body", "updateMask[1]"}}, "Allowed masks: 'apiKey, providerMetadata, providerWorkspaceRef'"},
		{"masked value absent", key.ID, client.UpdateConnectionParams{
			UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldProviderWorkspaceRef, client.UpdateMaskFieldAPIKey},
			Connection: client.ConnectionRequest{APIKey: "new"},
		}, []issueKey{{"body", "connection.providerWorkspaceRef"}}, "Allowed masks: 'apiKey, providerMetadata, providerWorkspaceRef'"},
		{"empty mask", key.ID, client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{}},
			[]issueKey{{"body", "updateMask"}}, "Allowed masks: 'apiKey, providerMetadata, providerWorkspaceRef'"},
		{"no credential mask for scheme none", none.ID, client.UpdateConnectionParams{
			UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldAPIKey}, Connection: client.ConnectionRequest{APIKey: "k"},
		}, []issueKey{{"body", "updateMask[0]"}}, "Allowed masks: 'providerMetadata, providerWorkspaceRef'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := h.srv.Connection("p", tc.id)
			p := expectProblem(t, h.send(http.MethodPatch, connectionPath("p", tc.id), tc.params), http.StatusBadRequest)
			if p.Detail != "Invalid update mask" || p.Remedy != tc.wantRemedy || !slices.Equal(issueKeys(p), tc.wantIssues) {
				t.Errorf("problem detail %q remedy %q issues %v; want remedy %q issues %v",
					p.Detail, p.Remedy, issueKeys(p), tc.wantRemedy, tc.wantIssues)
			}
			if after, _ := h.srv.Connection("p", tc.id); !reflect.DeepEqual(after, before) {
				t.Errorf("a rejected update changed the connection:\n%+v\n%+v", before, after)
			}
		})
	}
}

func TestDeleteConnection(t *testing.T) {
	h := newHarness(t)
	c := h.generate("p", apiKeyParams("d"))
	r := h.send(http.MethodDelete, connectionPath("p", c.ID), nil)
	if r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("delete: %d %q", r.status, r.body)
	}
	if _, ok := h.srv.Connection("p", c.ID); ok || len(h.srv.Connections("p")) != 0 {
		t.Errorf("the connection is still stored")
	}
	update := client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldAPIKey},
		Connection: client.ConnectionRequest{APIKey: "k"}}
	p := expectProblem(t, h.send(http.MethodGet, connectionPath("p", c.ID), nil), http.StatusNotFound)
	if !slices.Equal(issueKeys(p), []issueKey{{"path", "connectionId"}}) {
		t.Errorf("get after delete: issues %v", issueKeys(p))
	}
	expectProblem(t, h.send(http.MethodPatch, connectionPath("p", c.ID), update), http.StatusNotFound)
	expectProblem(t, h.send(http.MethodDelete, connectionPath("p", c.ID), nil), http.StatusNotFound)
	expectProblem(t, h.send(http.MethodDelete, connectionPath("unknown-project", c.ID), nil), http.StatusNotFound)
}
