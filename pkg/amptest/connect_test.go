package amptest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

var bg = context.Background()

// sdk returns a pkg/client client of h's server whose every exchange goes through h's spec check.
func (h *harness) sdk(opts ...client.Option) *client.Client {
	h.t.Helper()
	c, err := client.New(append([]client.Option{
		client.WithServerURL(h.srv.URL), client.WithAPIKey(h.srv.APIKey), client.WithHTTPClient(h.client),
	}, opts...)...)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// browse GETs a path of the server's origin (not under /v1) as a browser would, without the API key,
// through the spec check.
func (h *harness) browse(path string) response {
	h.t.Helper()
	resp, err := h.client.Get(strings.TrimSuffix(h.srv.URL, "/v1") + path)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// ops returns the operations of the requests recorded so far.
func (h *harness) ops() []Operation {
	var out []Operation
	for _, r := range h.srv.Requests() {
		out = append(out, r.Operation)
	}
	return out
}

var connectParams = client.OAuthConnectParams{
	ProjectIDOrName: "my-project", Provider: "salesforce", GroupRef: "g1", GroupName: "Acme", ConsumerRef: "u1",
	ConsumerName: "Jane", ProviderWorkspaceRef: "acme",
	ProviderMetadata: client.ProviderMetadata{"instanceUrl": {Value: "https://acme.example", Source: client.ProviderMetadataInfoSourceInput}},
}

// connectURL asks for an authorization URL through the SDK.
func connectURL(t *testing.T, c *client.Client, p client.OAuthConnectParams) string {
	t.Helper()
	u, err := c.OAuth.Connect(bg, client.OAuthConnectRequest{Params: p})
	if err != nil {
		t.Fatalf("OAuth.Connect: %v", err)
	}
	return u.String()
}

func TestOAuthConnectFlow(t *testing.T) {
	clock := newManualClock()
	h := newHarness(t, WithClock(clock.Now), WithProject(Project{ID: "proj-id", Name: "my-project"}))
	c := h.sdk()
	raw := connectURL(t, c, connectParams)
	u, _ := url.Parse(raw)
	if origin := strings.TrimSuffix(h.srv.URL, "/v1"); u.Scheme+"://"+u.Host != origin || u.Path != "/oauth/authorize" ||
		len(u.Query().Get("state")) != 32 || len(u.Query()) != 1 {
		t.Fatalf("authorization URL %s", raw)
	}
	if n := len(h.srv.Connections("my-project")); n != 0 {
		t.Fatalf("%d connections before the consent", n)
	}

	clock.Advance(time.Minute)
	got, err := h.srv.ApproveOAuth(bg, raw)
	if err != nil {
		t.Fatal(err)
	}
	now := clock.Now()
	code := got.OAuth2AuthorizationCode
	want := client.Connection{
		ID: got.ID, ProjectID: "proj-id", Provider: "salesforce", ProviderWorkspaceRef: "acme",
		ProviderMetadata: connectParams.ProviderMetadata,
		Group:            client.Group{GroupRef: "g1", GroupName: "Acme", ProjectID: "proj-id", CreateTime: now},
		Consumer:         client.Consumer{ConsumerRef: "u1", ConsumerName: "Jane", ProjectID: "proj-id", CreateTime: now},
		AuthScheme:       client.AuthSchemeOAuth2AuthorizationCode, Status: client.ConnectionStatusWorking,
		CreateTime: now, UpdateTime: now,
		OAuth2AuthorizationCode: client.OAuth2AuthorizationCode{
			AccessToken:  client.OAuth2Token{Token: code.AccessToken.Token, IssuedAt: now, ExpiresAt: now.Add(time.Hour)},
			RefreshToken: client.OAuth2Token{Token: code.RefreshToken.Token, IssuedAt: now},
			Scopes:       []string{"read", "write"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("approved\n%+v\nwant\n%+v", got, want)
	}
	if !strings.HasPrefix(code.AccessToken.Token, "amptest-access-") || !strings.HasPrefix(code.RefreshToken.Token, "amptest-refresh-") {
		t.Errorf("tokens %+v", code)
	}

	list, err := c.Connections.List(bg, client.ListConnectionsRequest{ProjectIDOrName: "my-project", Provider: "salesforce"})
	if err != nil || len(list) != 1 || list[0].ID != got.ID || !reflect.ValueOf(list[0].OAuth2AuthorizationCode).IsZero() {
		t.Fatalf("list = %+v, %v; want the connection without credentials", list, err)
	}
	full, err := c.Connections.Get(bg, client.GetConnectionRequest{ProjectIDOrName: "proj-id", ConnectionID: got.ID, IncludeRefreshToken: true})
	if err != nil || !reflect.DeepEqual(*full, got) {
		t.Fatalf("get with the refresh token = %+v, %v; want %+v", full, err, got)
	}

	reqs := h.srv.Requests()
	if ops := h.ops(); !slices.Equal(ops, []Operation{OpOAuthConnect, OpOAuthConsentPage, OpOAuthConsent, OpListConnections, OpGetConnection}) {
		t.Fatalf("recorded %v", ops)
	}
	consent := reqs[1]
	if consent.Method != http.MethodGet || consent.Path != "/oauth/authorize" || consent.RawQuery != u.RawQuery ||
		consent.Header.Get("X-Api-Key") != "" || !consent.Time.Equal(now) {
		t.Errorf("consent recorded as %+v", consent)
	}
	if !strings.Contains(string(reqs[0].Body), `"consumerRef":"u1"`) {
		t.Errorf("oauthConnect body %s", reqs[0].Body)
	}
}

func TestOAuthUpdateFlow(t *testing.T) {
	clock := newManualClock()
	h := newHarness(t, WithClock(clock.Now))
	c := h.sdk()
	old := client.OAuth2AuthorizationCode{
		AccessToken: client.OAuth2Token{Token: "old-access"}, RefreshToken: client.OAuth2Token{Token: "old-refresh"},
		Scopes: []string{"api", "refresh_token"},
	}
	seeded, err := h.srv.SeedConnection("p", client.GenerateConnectionParams{Provider: "salesforce", GroupRef: "g", ConsumerRef: "c",
		OAuth2AuthorizationCode: old})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	u, err := c.OAuth.Update(bg, client.OAuthUpdateRequest{ProjectIDOrName: "p", ConnectionID: seeded.ID})
	if err != nil {
		t.Fatal(err)
	}
	if stored, _ := h.srv.Connection("p", seeded.ID); !reflect.DeepEqual(stored, seeded) {
		t.Fatalf("oauthUpdate changed the connection before the consent: %+v", stored)
	}
	clock.Advance(time.Minute)
	got, err := h.srv.ApproveOAuth(bg, u.String())
	if err != nil {
		t.Fatal(err)
	}
	now, code := clock.Now(), got.OAuth2AuthorizationCode
	if got.ID != seeded.ID || got.Status != client.ConnectionStatusWorking || !got.UpdateTime.Equal(now) ||
		!got.CreateTime.Equal(seeded.CreateTime) || code.AccessToken.Token == "old-access" ||
		code.RefreshToken.Token == "old-refresh" || !code.AccessToken.IssuedAt.Equal(now) ||
		!code.RefreshToken.IssuedAt.Equal(now) || !slices.Equal(code.Scopes, old.Scopes) {
		t.Fatalf("re-authorized %+v", got)
	}
	full, err := c.Connections.Get(bg, client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: seeded.ID, IncludeRefreshToken: true})
	if err != nil || full.OAuth2AuthorizationCode.RefreshToken != code.RefreshToken || full.OAuth2AuthorizationCode.AccessToken != code.AccessToken {
		t.Fatalf("get = %+v, %v; want the rotated tokens", full, err)
	}
	if n := len(h.srv.Connections("p")); n != 1 {
		t.Errorf("%d connections, want the one re-authorized", n)
	}
	if ops := h.ops(); !slices.Equal(ops, []Operation{OpOAuthUpdate, OpOAuthConsentPage, OpOAuthConsent, OpGetConnection}) {
		t.Errorf("recorded %v", ops)
	}
	if r := h.srv.Requests()[0]; r.Method != http.MethodPatch || r.Path != "/v1/projects/p/connections/"+seeded.ID+":oauth-update" {
		t.Errorf("oauthUpdate recorded as %s %s", r.Method, r.Path)
	}
}

// The consent fails, changing nothing, when it is denied, when its state is unknown, used or expired, or
// when the connection it re-authorizes is gone.
func TestOAuthConsentFailures(t *testing.T) {
	clock := newManualClock()
	h := newHarness(t, WithClock(clock.Now))
	c := h.sdk()
	expect := func(name, raw string, status int, code string, reason error) {
		t.Helper()
		before := h.srv.Connections("my-project")
		_, err := h.srv.ApproveOAuth(bg, raw)
		var be *BrowserError
		// A used, unknown or expired state fails on the page, before any form is shown; a denial on the form.
		if !errors.As(err, &be) || (be.Step != OpOAuthConsentPage && be.Step != OpOAuthConsent) || be.StatusCode != status || be.Code != code ||
			be.Err != reason || be.Message == "" {
			t.Errorf("%s: %#v; want a BrowserError %d %s matching %v", name, err, status, code, reason)
		}
		if after := h.srv.Connections("my-project"); !reflect.DeepEqual(after, before) {
			t.Errorf("%s: a failed consent changed the connections", name)
		}
	}

	// Denied: nothing happens, and the URL still works afterwards.
	raw := connectURL(t, c, connectParams)
	h.srv.InjectFault(OpOAuthConsent, Fault{Status: http.StatusForbidden})
	expect("denied", raw, 403, "access_denied", ErrConsentDenied)
	first, err := h.srv.ApproveOAuth(bg, raw)
	if err != nil {
		t.Fatalf("the consent after a denied one: %v", err)
	}
	// Replayed.
	expect("replayed", raw, 409, "used_flow", ErrFlowUsed)
	// Unknown state, or none.
	u, _ := url.Parse(raw)
	u.RawQuery = "state=0123456789abcdef0123456789abcdef"
	expect("unknown", u.String(), 400, "unknown_flow", ErrFlowUnknown)
	u.RawQuery = ""
	expect("no state", u.String(), 400, "unknown_flow", ErrFlowUnknown)
	// Expired: FlowLifetime old still works, a second more does not.
	raw = connectURL(t, c, connectParams)
	clock.Advance(FlowLifetime)
	if _, err := h.srv.ApproveOAuth(bg, raw); err != nil {
		t.Fatalf("a consent exactly FlowLifetime old: %v", err)
	}
	raw = connectURL(t, c, connectParams)
	clock.Advance(FlowLifetime + time.Second)
	expect("expired", raw, 410, "expired_flow", ErrFlowExpired)
	// A provider failure, an injected HTML page.
	raw = connectURL(t, c, connectParams)
	h.srv.InjectFault(OpOAuthConsent, Fault{Status: http.StatusServiceUnavailable})
	expect("provider error", raw, 503, "server_error", nil)
	h.srv.InjectFault(OpOAuthConsent, Fault{Kind: FaultHTMLPage})
	expect("HTML page", raw, 502, "", nil)
	// The connection to re-authorize was deleted.
	u2, err := c.OAuth.Update(bg, client.OAuthUpdateRequest{ProjectIDOrName: "my-project", ConnectionID: first.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connections.Delete(bg, client.DeleteConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: first.ID}); err != nil {
		t.Fatal(err)
	}
	expect("deleted connection", u2.String(), 404, "connection_not_found", nil)

	// What a browser sees: an HTML page with the code.
	r := h.browse("/oauth/authorize?state=nope")
	if r.status != 400 || r.header.Get(HeaderError) != "unknown_flow" || !strings.Contains(string(r.body), "<h1>Unknown authorization request</h1>") {
		t.Errorf("unknown state page: %d %v %s", r.status, r.header, r.body)
	}
	if n := len(h.srv.Connections("my-project")); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// A fault injected with Processed lets the consent happen, and the browser sees the error page instead.
func TestOAuthConsentProcessedFault(t *testing.T) {
	h := newHarness(t)
	raw := connectURL(t, h.sdk(), connectParams)
	h.srv.InjectFault(OpOAuthConsent, Fault{Status: http.StatusForbidden, Processed: true})
	if _, err := h.srv.ApproveOAuth(bg, raw); !errors.Is(err, ErrConsentDenied) {
		t.Fatalf("err %v", err)
	}
	if n := len(h.srv.Connections("my-project")); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
	if _, err := h.srv.ApproveOAuth(bg, raw); !errors.Is(err, ErrFlowUsed) {
		t.Errorf("the state was not used: %v", err)
	}
}

func TestOAuthUpdateErrors(t *testing.T) {
	h := newHarness(t)
	c := h.sdk()
	key := h.generate("p", apiKeyParams("k"))
	for _, tc := range []struct {
		name, project, id string
		status            int
		detail            string
	}{
		{"missing connection", "p", "nope", 404, `connection "nope" not found in project "p"`},
		{"missing project", "other", key.ID, 404, `not found in project "other"`},
		{"not OAuth", "p", key.ID, 400, "connection " + key.ID + " does not use OAuth2"},
		{"escaped ID", "p/q", "a/b:c", 404, `connection "a/b:c" not found in project "p/q"`},
	} {
		_, err := c.OAuth.Update(bg, client.OAuthUpdateRequest{ProjectIDOrName: tc.project, ConnectionID: tc.id})
		var apiErr *client.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status || apiErr.Problem == nil ||
			!strings.Contains(apiErr.Problem.Detail, tc.detail) {
			t.Fatalf("%s: %v; want %d %q", tc.name, err, tc.status, tc.detail)
		}
		if is := apiErr.Problem.Issues; len(is) != 1 || is[0].In != "path" || is[0].Name != "connectionId" || is[0].Value != tc.id {
			t.Errorf("%s: issues %+v", tc.name, is)
		}
	}
	if len(h.srv.Requests()) != 5 {
		t.Errorf("%d requests recorded, want 5", len(h.srv.Requests()))
	}
}

func TestOAuthConnectValidation(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		body string
		want []issueKey
	}{
		{`{"projectIdOrName":"p","provider":"x"}`, []issueKey{{"body", "consumerRef"}, {"body", "groupRef"}}},
		{`{"projectIdOrName":"","provider":"","groupRef":"g","consumerRef":"c"}`, []issueKey{{"body", "projectIdOrName"}, {"body", "provider"}}},
		{`{"projectIdOrName":"p","provider":"x","groupRef":"g","consumerRef":1}`, []issueKey{{"body", "consumerRef"}}},
	} {
		p := expectProblem(t, h.send(http.MethodPost, "/oauth-connect", tc.body), http.StatusBadRequest)
		if got := issueKeys(p); !slices.Equal(got, tc.want) {
			t.Errorf("%s: issues %v, want %v", tc.body, got, tc.want)
		}
	}
	expectProblem(t, h.send(http.MethodPost, "/oauth-connect", `{}`, withoutHeader("X-Api-Key")), http.StatusUnauthorized)
	if len(h.srv.st.states) != 0 {
		t.Errorf("rejected requests issued %d states", len(h.srv.st.states))
	}
}

// ApproveOAuth opens only authorization URLs of its own server.
func TestApproveOAuthRefusesOtherURLs(t *testing.T) {
	h := newHarness(t)
	other := NewServer()
	defer other.Close()
	otherURL := connectURL(t, h.sdk(client.WithServerURL(other.URL), client.WithAPIKey(other.APIKey)), connectParams)
	for _, raw := range []string{
		"https://login.salesforce.com/services/oauth2/authorize?state=x",
		otherURL,
		strings.Replace(otherURL, "/oauth/authorize", "/custom-auth/provider", 1),
		strings.TrimSuffix(h.srv.URL, "/v1") + "/custom-auth/provider?session=x",
		"::not a url",
	} {
		if _, err := h.srv.ApproveOAuth(bg, raw); err == nil || !strings.Contains(err.Error(), "is not a URL of this server") {
			t.Errorf("ApproveOAuth(%q) = %v", raw, err)
		}
	}
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent to the server", n)
	}
}

// Faults apply to the new operations; AnyOperation does not reach the browser steps.
func TestFaultsOnConnectOperations(t *testing.T) {
	h := newHarness(t)
	c := h.sdk()
	retryNow := http.Header{"Retry-After": {"0"}}
	h.srv.InjectFault(OpOAuthConnect, Fault{Status: 503, Header: retryNow})
	raw := connectURL(t, c, connectParams) // idempotent: retried
	seeded, _ := h.srv.SeedConnection("p", client.GenerateConnectionParams{Provider: "x", GroupRef: "g", ConsumerRef: "c",
		OAuth2AuthorizationCode: client.OAuth2AuthorizationCode{RefreshToken: client.OAuth2Token{Token: "r"}}})
	h.srv.InjectFault(OpOAuthUpdate, Fault{Status: 429, Header: retryNow})
	if _, err := c.OAuth.Update(bg, client.OAuthUpdateRequest{ProjectIDOrName: "p", ConnectionID: seeded.ID}); err != nil {
		t.Fatal(err)
	}
	h.srv.InjectFault(OpCustomAuthConnect, Fault{Status: 503, Header: retryNow})
	if step, err := c.Connections.CustomAuthConnect(bg, client.CustomAuthConnectRequest{Params: customParams}); err != nil || step.Redirect == nil {
		t.Fatalf("customAuthConnect after a 503: %+v, %v", step, err)
	}
	h.srv.InjectFault(AnyOperation, Fault{Status: 500})
	if _, err := h.srv.ApproveOAuth(bg, raw); err != nil {
		t.Fatalf("AnyOperation reached the consent: %v", err)
	}
	if r := h.send(http.MethodGet, connectionsPath("p"), nil); r.status != 500 {
		t.Errorf("the AnyOperation fault was used up: %d", r.status)
	}
	h.srv.InjectFault(OpOAuthConsent, Fault{Kind: FaultResetBeforeReply, Times: 2})
	raw = connectURL(t, c, connectParams)
	if _, err := h.srv.ApproveOAuth(bg, raw); err == nil || errors.As(err, new(*BrowserError)) {
		t.Errorf("reset consent: %v", err)
	}
	want := []Operation{OpOAuthConnect, OpOAuthConnect, OpOAuthUpdate, OpOAuthUpdate, OpCustomAuthConnect,
		OpCustomAuthConnect, OpOAuthConsentPage, OpOAuthConsent, OpListConnections, OpOAuthConnect, OpOAuthConsentPage, OpOAuthConsent}
	if got := h.ops(); !slices.Equal(got[:len(want)], want) {
		t.Errorf("recorded %v, want %v…", got, want)
	}
	if n := len(h.srv.Connections("my-project")); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}
