package amptest

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// page is a browser's view of one reply: it sends Accept: text/html and does not follow redirects, so that
// the test sees where the fake sends it.
func (h *harness) page(method, raw string, form url.Values) response {
	h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(bg, method, raw, body)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	hc := *h.client
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, raw, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func stateOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("state")
}

// A browser opening the authorization URL gets a consent page, which changes nothing however often it is
// opened; its form's Allow creates the connection once.
func TestConsentPageThenAllow(t *testing.T) {
	h := newHarness(t)
	raw := connectURL(t, h.sdk(), connectParams)
	for range 2 {
		p := h.page(http.MethodGet, raw, nil)
		body := string(p.body)
		for _, want := range []string{
			"<h1>", "salesforce", "Jane", "u1", "Acme", `method="post"`, `action="/oauth/authorize"`,
			`name="state" value="` + stateOf(t, raw) + `"`, `name="decision" value="allow"`, `name="decision" value="deny"`,
		} {
			if p.status != http.StatusOK || !strings.Contains(body, want) {
				t.Fatalf("consent page: %d, lacks %q:\n%s", p.status, want, body)
			}
		}
		if n := len(h.srv.Connections("my-project")); n != 0 {
			t.Fatalf("%d connections after viewing the consent page, want 0", n)
		}
	}
	origin := strings.TrimSuffix(h.srv.URL, "/v1")
	allow := url.Values{"state": {stateOf(t, raw)}, "decision": {"allow"}}
	p := h.page(http.MethodPost, origin+"/oauth/authorize", allow)
	id := p.header.Get(HeaderConnectionID)
	conns := h.srv.Connections("my-project")
	if p.status != http.StatusOK || len(conns) != 1 || conns[0].ID != id || !strings.Contains(string(p.body), "<h1>Connection created</h1>") {
		t.Fatalf("allow: %d %q %s; connections %+v", p.status, id, p.body, conns)
	}
	if p := h.page(http.MethodPost, origin+"/oauth/authorize", allow); p.status != http.StatusConflict || p.header.Get(HeaderError) != "used_flow" {
		t.Errorf("second allow: %d %v", p.status, p.header)
	}
	if p := h.page(http.MethodGet, raw, nil); p.status != http.StatusConflict {
		t.Errorf("the page of a used URL: %d", p.status)
	}
	if n := len(h.srv.Connections("my-project")); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
	want := []Operation{OpOAuthConnect, OpOAuthConsentPage, OpOAuthConsentPage, OpOAuthConsent, OpOAuthConsent, OpOAuthConsentPage}
	if got := h.ops(); !slices.Equal(got, want) {
		t.Errorf("recorded %v, want %v", got, want)
	}
}

// Deny creates nothing and uses the URL up; without a redirect URL the page says access was denied.
func TestConsentDeny(t *testing.T) {
	h := newHarness(t)
	raw := connectURL(t, h.sdk(), connectParams)
	origin := strings.TrimSuffix(h.srv.URL, "/v1")
	p := h.page(http.MethodPost, origin+"/oauth/authorize", url.Values{"state": {stateOf(t, raw)}, "decision": {"deny"}})
	if p.status != http.StatusForbidden || p.header.Get(HeaderError) != "access_denied" || !strings.Contains(string(p.body), "<h1>Access denied</h1>") {
		t.Fatalf("deny: %d %v %s", p.status, p.header, p.body)
	}
	if n := len(h.srv.Connections("my-project")); n != 0 {
		t.Errorf("%d connections after deny", n)
	}
	if _, err := h.srv.ApproveOAuth(bg, raw); !errors.Is(err, ErrFlowUsed) {
		t.Errorf("approve after deny: %v, want ErrFlowUsed", err)
	}
	bad := h.page(http.MethodPost, origin+"/oauth/authorize", url.Values{"state": {stateOf(t, raw)}, "decision": {"maybe"}})
	if bad.status != http.StatusBadRequest {
		t.Errorf("decision maybe: %d", bad.status)
	}
}

// With WithOAuthRedirectURL, Allow and Deny send the browser back to the app, as a provider does, with
// connection_id or error=access_denied added to the URL's query.
func TestConsentRedirectsBack(t *testing.T) {
	h := newHarness(t, WithOAuthRedirectURL("http://127.0.0.1:9/back?app=1"))
	c := h.sdk()
	origin := strings.TrimSuffix(h.srv.URL, "/v1")

	raw := connectURL(t, c, connectParams)
	p := h.page(http.MethodPost, origin+"/oauth/authorize", url.Values{"state": {stateOf(t, raw)}, "decision": {"deny"}})
	loc, _ := url.Parse(p.header.Get("Location"))
	if p.status != http.StatusSeeOther || loc == nil || loc.Host != "127.0.0.1:9" || loc.Path != "/back" ||
		loc.Query().Get("app") != "1" || loc.Query().Get("error") != "access_denied" || loc.Query().Has("connection_id") {
		t.Fatalf("deny: %d, Location %q", p.status, p.header.Get("Location"))
	}

	raw = connectURL(t, c, connectParams)
	p = h.page(http.MethodPost, origin+"/oauth/authorize", url.Values{"state": {stateOf(t, raw)}, "decision": {"allow"}})
	loc, _ = url.Parse(p.header.Get("Location"))
	conns := h.srv.Connections("my-project")
	if p.status != http.StatusSeeOther || loc == nil || len(conns) != 1 || loc.Query().Get("connection_id") != conns[0].ID ||
		loc.Query().Get("app") != "1" || p.header.Get(HeaderConnectionID) != conns[0].ID {
		t.Fatalf("allow: %d, Location %q; connections %+v", p.status, p.header.Get("Location"), conns)
	}

	// ApproveOAuth stops at the redirect: it never requests the app.
	raw = connectURL(t, c, connectParams)
	got, err := h.srv.ApproveOAuth(bg, raw)
	if err != nil || got.ID == "" || len(h.srv.Connections("my-project")) != 2 {
		t.Fatalf("ApproveOAuth = %+v, %v", got, err)
	}
}

func TestWithOAuthRedirectURLInvalid(t *testing.T) {
	for _, u := range []string{"", "/back", "ftp://x/y", "http://"} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "WithOAuthRedirectURL") {
					t.Errorf("WithOAuthRedirectURL(%q): panic %v", u, r)
				}
			}()
			NewServer(WithOAuthRedirectURL(u)).Close()
		}()
	}
}

// A client that is not a browser (it does not accept text/html: amp fake approve, curl, a script) has no page
// to click: opening the URL grants the consent at once, as before the consent page existed.
func TestConsentWithoutABrowser(t *testing.T) {
	h := newHarness(t)
	raw := connectURL(t, h.sdk(), connectParams)
	resp, err := h.client.Get(raw)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get(HeaderConnectionID)
	if conns := h.srv.Connections("my-project"); resp.StatusCode != http.StatusOK || len(conns) != 1 || conns[0].ID != id {
		t.Fatalf("GET without Accept: text/html: %d %q, connections %+v", resp.StatusCode, id, conns)
	}
	if got := h.ops(); !slices.Equal(got, []Operation{OpOAuthConnect, OpOAuthConsent}) {
		t.Errorf("recorded %v", got)
	}
}
