package amptest

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

var customParams = client.CustomAuthConnectParams{
	ProjectIDOrName: "my-project", Provider: "bill", GroupRef: "g1", GroupName: "Acme", ConsumerRef: "u1",
	CustomAuth: map[string]any{"userName": "admin@acme.example", "password": "hunter2"},
}

// startCustomAuth runs the first step of a flow through the SDK and returns its redirect.
func startCustomAuth(t *testing.T, c *client.Client, p client.CustomAuthConnectParams) *client.CustomAuthRedirect {
	t.Helper()
	step, err := c.Connections.CustomAuthConnect(bg, client.CustomAuthConnectRequest{Params: p})
	if err != nil || step.Redirect == nil {
		t.Fatalf("start: %+v, %v; want a redirect", step, err)
	}
	return step.Redirect
}

// resume runs a resume call through the SDK.
func resume(c *client.Client, project, session string, params map[string]string) (*client.CustomAuthConnectResult, error) {
	return c.Connections.CustomAuthConnect(bg, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
		ProjectIDOrName: project, SessionID: session, CallbackParams: params,
	}})
}

func TestCustomAuthFlow(t *testing.T) {
	clock := newManualClock()
	h := newHarness(t, WithClock(clock.Now), WithProject(Project{ID: "proj-id", Name: "my-project"}))
	c := h.sdk()
	redirect := startCustomAuth(t, c, customParams)
	origin := strings.TrimSuffix(h.srv.URL, "/v1")
	if redirect.URL.String() != origin+"/custom-auth/provider?session="+redirect.SessionID || len(redirect.SessionID) != 36 {
		t.Fatalf("redirect %s, session %q", redirect.URL, redirect.SessionID)
	}
	params, err := h.srv.CompleteCustomAuth(bg, redirect.URL.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(params) != 1 || len(params["tenant"]) != 36 {
		t.Fatalf("callback params %v", params)
	}
	if n := len(h.srv.Connections("my-project")); n != 0 {
		t.Fatalf("%d connections before the resume call", n)
	}
	clock.Advance(time.Minute)
	step, err := resume(c, "proj-id", redirect.SessionID, params)
	if err != nil || step.Connection == nil || step.Redirect != nil {
		t.Fatalf("resume: %+v, %v; want a connection", step, err)
	}
	now := clock.Now()
	want := client.Connection{
		ID: step.Connection.ID, ProjectID: "proj-id", Provider: "bill",
		Group:      client.Group{GroupRef: "g1", GroupName: "Acme", ProjectID: "proj-id", CreateTime: now},
		Consumer:   client.Consumer{ConsumerRef: "u1", ConsumerName: "u1", ProjectID: "proj-id", CreateTime: now},
		AuthScheme: client.AuthSchemeNone, Status: client.ConnectionStatusCreated, CreateTime: now, UpdateTime: now,
	}
	if !reflect.DeepEqual(*step.Connection, want) {
		t.Fatalf("connection\n%+v\nwant\n%+v", *step.Connection, want)
	}
	creds, ok := h.srv.Credentials("my-project", want.ID)
	if !ok || !reflect.DeepEqual(creds.CustomAuth, customParams.CustomAuth) {
		t.Errorf("stored customAuth %v, want %v", creds.CustomAuth, customParams.CustomAuth)
	}
	list, err := c.Connections.List(bg, client.ListConnectionsRequest{ProjectIDOrName: "my-project"})
	if err != nil || len(list) != 1 || list[0].ID != want.ID {
		t.Errorf("list %+v, %v", list, err)
	}

	if ops := h.ops(); !slices.Equal(ops, []Operation{OpCustomAuthConnect, OpCustomAuthProvider, OpCustomAuthCallback,
		OpCustomAuthConnect, OpListConnections}) {
		t.Fatalf("recorded %v", ops)
	}
	reqs := h.srv.Requests()
	callback, _ := url.ParseQuery(reqs[2].RawQuery)
	if reqs[1].Path != "/custom-auth/provider" || reqs[1].Query.Get("session") != redirect.SessionID ||
		reqs[2].Path != "/custom-auth/callback" || callback.Get("session") != redirect.SessionID ||
		callback.Get("tenant") != params["tenant"] || reqs[1].Header.Get("X-Api-Key") != "" {
		t.Errorf("browser steps recorded as %+v, %+v", reqs[1], reqs[2])
	}
}

// The browser's view of the fake provider: a redirect to the callback, with the same parameters on every
// visit, and the callback's page.
func TestCustomAuthBrowserPages(t *testing.T) {
	h := newHarness(t)
	redirect := startCustomAuth(t, h.sdk(), customParams)
	noRedirects := &http.Client{Transport: h.client.Transport, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	var locations []string
	for range 2 {
		resp, err := noRedirects.Get(redirect.URL.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("provider: %d", resp.StatusCode)
		}
		locations = append(locations, resp.Header.Get("Location"))
	}
	loc, _ := url.Parse(locations[0])
	if locations[0] != locations[1] || loc.Path != "/custom-auth/callback" || loc.Query().Get("session") != redirect.SessionID {
		t.Fatalf("provider redirects to %v", locations)
	}
	r := h.browse(loc.RequestURI())
	if r.status != 200 || !strings.Contains(string(r.body), "Authorization received") {
		t.Errorf("callback: %d %s", r.status, r.body)
	}
	q := loc.Query()
	q.Set("tenant", "forged")
	if r := h.browse("/custom-auth/callback?" + q.Encode()); r.status != 400 || r.header.Get(HeaderError) != "invalid_callback" {
		t.Errorf("forged callback: %d %v", r.status, r.header)
	}
	if r := h.browse("/custom-auth/provider?session=nope"); r.status != 400 || r.header.Get(HeaderError) != "unknown_flow" {
		t.Errorf("unknown session: %d %v", r.status, r.header)
	}
}

// A resume call fails, creating nothing, unless it names a live session of the project and carries exactly
// the callback parameters the provider issued.
func TestCustomAuthResumeFailures(t *testing.T) {
	clock := newManualClock()
	h := newHarness(t, WithClock(clock.Now))
	c := h.sdk()
	fresh := startCustomAuth(t, c, customParams) // the provider was not visited
	redirect := startCustomAuth(t, c, customParams)
	params, err := h.srv.CompleteCustomAuth(bg, redirect.URL.String())
	if err != nil {
		t.Fatal(err)
	}
	tenant := params["tenant"]
	cases := []struct {
		name, project, session string
		params                 map[string]string
		status                 int
		detail                 string
		issues                 []issueKey
	}{
		{"unknown session", "my-project", "7f3c1e2a-9b0d-4a1f-8c2e-1d2f3a4b5c6d", params, 400, "unknown or expired sessionId",
			[]issueKey{{"body", "sessionId"}}},
		{"session of another project", "other", redirect.SessionID, params, 400, "unknown or expired sessionId",
			[]issueKey{{"body", "sessionId"}}},
		{"provider not visited", "my-project", fresh.SessionID, map[string]string{"tenant": tenant}, 400,
			"the provider has not redirected to the callback yet", []issueKey{{"body", "callbackParams"}}},
		{"wrong tenant", "my-project", redirect.SessionID, map[string]string{"tenant": "forged"}, 400,
			"callbackParams do not match what the provider sent to the callback", []issueKey{{"body", "callbackParams.tenant"}}},
		{"no callback params", "my-project", redirect.SessionID, nil, 400,
			"callbackParams do not match what the provider sent to the callback", []issueKey{{"body", "callbackParams.tenant"}}},
		{"extra param", "my-project", redirect.SessionID, map[string]string{"tenant": tenant, "session": redirect.SessionID}, 400,
			"callbackParams do not match what the provider sent to the callback", []issueKey{{"body", "callbackParams.session"}}},
	}
	for _, tc := range cases {
		_, err := resume(c, tc.project, tc.session, tc.params)
		expectAPIProblem(t, tc.name, err, tc.status, tc.detail, tc.issues)
	}
	if n := len(h.srv.Connections("my-project")); n != 0 {
		t.Fatalf("failed resume calls created %d connections", n)
	}

	// Completed: the session is used up, for the API and for the browser.
	if step, err := resume(c, "my-project", redirect.SessionID, params); err != nil || step.Connection == nil {
		t.Fatalf("resume: %+v, %v", step, err)
	}
	_, err = resume(c, "my-project", redirect.SessionID, params)
	expectAPIProblem(t, "reused session", err, 409, "the custom auth session is already completed", []issueKey{{"body", "sessionId"}})
	if _, err := h.srv.CompleteCustomAuth(bg, redirect.URL.String()); !errors.Is(err, ErrFlowUsed) {
		t.Errorf("provider of a completed session: %v", err)
	}

	// Expired, for the browser and the API.
	expiring := startCustomAuth(t, c, customParams)
	params, err = h.srv.CompleteCustomAuth(bg, expiring.URL.String())
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(FlowLifetime + time.Second)
	_, err = h.srv.CompleteCustomAuth(bg, expiring.URL.String())
	var be *BrowserError
	if !errors.As(err, &be) || be.Step != OpCustomAuthProvider || be.StatusCode != 410 || !errors.Is(err, ErrFlowExpired) {
		t.Errorf("expired session at the provider: %v", err)
	}
	_, err = resume(c, "my-project", expiring.SessionID, params)
	expectAPIProblem(t, "expired session", err, 400, "unknown or expired sessionId", []issueKey{{"body", "sessionId"}})
	if n := len(h.srv.Connections("my-project")); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// expectAPIProblem checks that err is an APIError with this status, problem detail and issues.
func expectAPIProblem(t *testing.T, name string, err error, status int, detail string, issues []issueKey) {
	t.Helper()
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != status || apiErr.Problem == nil || apiErr.Problem.Detail != detail {
		t.Errorf("%s: %v; want %d %q", name, err, status, detail)
		return
	}
	if got := issueKeys(*apiErr.Problem); !slices.Equal(got, issues) {
		t.Errorf("%s: issues %v, want %v", name, got, issues)
	}
}

func TestCustomAuthStartValidation(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		body string
		want []issueKey
	}{
		{`{"projectIdOrName":"p"}`, []issueKey{{"body", "provider"}, {"body", "groupRef"}, {"body", "consumerRef"}, {"body", "customAuth"}}},
		{`{"projectIdOrName":"p","provider":"bill","groupRef":"g","consumerRef":"c","customAuth":{}}`, []issueKey{{"body", "customAuth"}}},
		{`{"projectIdOrName":"p","provider":"bill","groupRef":"g","consumerRef":"c","customAuth":{"k":"v"},"callbackParams":{"tenant":"t"}}`,
			[]issueKey{{"body", "sessionId"}}},
		{`{"provider":"bill"}`, []issueKey{{"body", "projectIdOrName"}}},
		{`{"projectIdOrName":"p","sessionId":"s","callbackParams":{"tenant":1}}`, []issueKey{{"body", "callbackParams.tenant"}}},
	} {
		p := expectProblem(t, h.send(http.MethodPost, "/custom-auth/connect", tc.body), http.StatusBadRequest)
		if got := issueKeys(p); !slices.Equal(got, tc.want) {
			t.Errorf("%s: issues %v, want %v", tc.body, got, tc.want)
		}
	}
	if len(h.srv.st.sessions) != 0 {
		t.Errorf("rejected requests started %d sessions", len(h.srv.st.sessions))
	}
}

// Faults on the browser steps of custom auth: a denied provider consent changes nothing; a failing callback
// is reported as such.
func TestCustomAuthBrowserFaults(t *testing.T) {
	h := newHarness(t)
	c := h.sdk()
	redirect := startCustomAuth(t, c, customParams)
	h.srv.InjectFault(OpCustomAuthProvider, Fault{Status: http.StatusForbidden})
	var be *BrowserError
	if _, err := h.srv.CompleteCustomAuth(bg, redirect.URL.String()); !errors.As(err, &be) ||
		be.Step != OpCustomAuthProvider || !errors.Is(err, ErrConsentDenied) {
		t.Fatalf("denied: %v", err)
	}
	h.srv.InjectFault(OpCustomAuthCallback, Fault{Status: http.StatusInternalServerError})
	if _, err := h.srv.CompleteCustomAuth(bg, redirect.URL.String()); !errors.As(err, &be) ||
		be.Step != OpCustomAuthCallback || be.Code != "server_error" || be.Err != nil {
		t.Fatalf("callback fault: %v", err)
	}
	h.srv.InjectFault(OpCustomAuthProvider, Fault{Status: http.StatusBadRequest, Body: []byte("<p>Your <b>trial</b> ended</p>")})
	if r := h.browse("/custom-auth/provider?session=" + redirect.SessionID); r.status != 400 || string(r.body) != "<p>Your <b>trial</b> ended</p>" {
		t.Errorf("a raw body on a browser step: %d %s", r.status, r.body) // the spec check wants text/html
	}
	params, err := h.srv.CompleteCustomAuth(bg, redirect.URL.String())
	if err != nil {
		t.Fatal(err)
	}
	if step, err := resume(c, "my-project", redirect.SessionID, params); err != nil || step.Connection == nil {
		t.Fatalf("resume: %+v, %v", step, err)
	}
	if _, err := h.srv.CompleteCustomAuth(bg, "https://login.microsoftonline.com/common/adminconsent?client_id=x"); err == nil ||
		!strings.Contains(err.Error(), "is not a URL of this server") {
		t.Errorf("a foreign URL: %v", err)
	}
}

// A state or a session works once, also when browsers and resume calls race.
func TestConcurrentFlows(t *testing.T) {
	h := newHarness(t)
	c := h.sdk()
	raw := connectURL(t, c, connectParams)
	redirect := startCustomAuth(t, c, customParams)
	params, err := h.srv.CompleteCustomAuth(bg, redirect.URL.String())
	if err != nil {
		t.Fatal(err)
	}
	const racers = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	approved, resumed := 0, 0
	for range racers {
		wg.Go(func() {
			_, errApprove := h.srv.ApproveOAuth(bg, raw)
			step, errResume := resume(c, "my-project", redirect.SessionID, params)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errApprove == nil:
				approved++
			case !errors.Is(errApprove, ErrFlowUsed):
				t.Errorf("approve: %v", errApprove)
			}
			var apiErr *client.APIError
			switch {
			case errResume == nil && step.Connection != nil:
				resumed++
			case !errors.As(errResume, &apiErr) || apiErr.StatusCode != http.StatusConflict:
				t.Errorf("resume: %v", errResume)
			}
		})
	}
	wg.Wait()
	if approved != 1 || resumed != 1 || len(h.srv.Connections("my-project")) != 2 {
		t.Errorf("%d consents and %d resume calls succeeded, %d connections; want 1, 1 and 2",
			approved, resumed, len(h.srv.Connections("my-project")))
	}
}
