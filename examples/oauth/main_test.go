package main

import (
	"bufio"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// startApp starts the app against a fake whose consent sends the browser back to the app's /callback and
// which delivers its notifications to the app's webhook, as main does.
func startApp(t *testing.T) (web *httptest.Server, srv *amptest.Server) {
	t.Helper()
	web = httptest.NewUnstartedServer(nil)
	base, secret := "http://"+web.Listener.Addr().String(), newWebhookSecret()
	srv = amptest.NewServer(amptest.WithOAuthRedirectURL(base+"/callback"), amptest.WithWebhook(base+webhookPath, secret))
	t.Cleanup(srv.Close)
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey))
	if err != nil {
		t.Fatal(err)
	}
	wh, err := client.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	web.Config.Handler = newApp(c, "oauth-example", wh)
	web.Start()
	t.Cleanup(web.Close)
	return web, srv
}

// browser is an HTTP client that plays a browser: it accepts text/html, keeps cookies, follows redirects and
// remembers where it went.
type browser struct {
	t       *testing.T
	hc      *http.Client
	visited []string
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t}
	b.hc = &http.Client{Jar: jar, Transport: acceptHTML{http.DefaultTransport},
		CheckRedirect: func(r *http.Request, _ []*http.Request) error {
			b.visited = append(b.visited, r.URL.String())
			return nil
		}}
	return b
}

type acceptHTML struct{ next http.RoundTripper }

func (a acceptHTML) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept", "text/html,*/*;q=0.8")
	return a.next.RoundTrip(r)
}

// do sends a GET (form nil) or a form POST and returns the final page, its status and URL.
func (b *browser) do(raw string, form url.Values) (page string, status int, at *url.URL) {
	b.t.Helper()
	var resp *http.Response
	var err error
	if form == nil {
		resp, err = b.hc.Get(raw)
	} else {
		resp, err = b.hc.PostForm(raw, form)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body), resp.StatusCode, resp.Request.URL
}

var stateField = regexp.MustCompile(`name="state" value="([^"]+)"`)

// consent opens the app's connect link for user, checks that it lands on the fake's consent page, and
// submits decision there.
func consent(t *testing.T, b *browser, web *httptest.Server, srv *amptest.Server, user, decision string) (string, *url.URL) {
	t.Helper()
	page, status, at := b.do(web.URL+"/connect?user="+user, nil)
	origin := strings.TrimSuffix(srv.URL, "/v1")
	m := stateField.FindStringSubmatch(page)
	if status != http.StatusOK || !strings.HasPrefix(at.String(), origin+"/oauth/authorize?") || m == nil ||
		!strings.Contains(page, ">Allow<") || !strings.Contains(page, user) {
		t.Fatalf("connect: %d at %s:\n%s", status, at, page)
	}
	page, status, at = b.do(origin+"/oauth/authorize", url.Values{"state": {m[1]}, "decision": {decision}})
	if status != http.StatusOK {
		t.Fatalf("consent %s: %d at %s:\n%s", decision, status, at, page)
	}
	return page, at
}

// The whole flow, with an HTTP client playing the user's browser: the app sends it to the fake's consent
// page, Allow creates the connection and sends the browser back to the app, which shows it.
func TestConnectAllow(t *testing.T) {
	web, srv := startApp(t)
	b := newBrowser(t)
	if page, _, _ := b.do(web.URL+"/connection?user=jane", nil); !strings.Contains(page, "No connection for jane yet.") {
		t.Fatalf("before: %s", page)
	}
	page, at := consent(t, b, web, srv, "jane", "allow")
	conns := srv.Connections("oauth-example")
	if len(conns) != 1 || at.Path != "/callback" || at.Host != strings.TrimPrefix(web.URL, "http://") {
		t.Fatalf("after Allow: at %s, connections %+v", at, conns)
	}
	id := conns[0].ID
	for _, want := range []string{"<h1>jane&#39;s Salesforce connection</h1>", "Connected: <code>" + id + "</code>, salesforce, status <b>working</b>",
		"For consumer <code>jane</code>", `href="/"`, `href="/connection?user=jane"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the callback page lacks %q:\n%s", want, page)
		}
	}
	if conns[0].AuthScheme != client.AuthSchemeOAuth2AuthorizationCode || conns[0].Consumer.ConsumerRef != "jane" {
		t.Errorf("stored %+v", conns[0])
	}
	waitFor(t, srv, client.NotificationTypeConnectionCreated, id) // the connection page knows it from the notification
	if page, _, _ := b.do(web.URL+"/connection?user=jane", nil); !strings.Contains(page, "Connected: <code>"+id+"</code>") {
		t.Errorf("jane's connection page: %s", page)
	}
	if page, _, _ := b.do(web.URL+"/", nil); !strings.Contains(page, "<h1>Connect Salesforce</h1>") || !strings.Contains(page, `action="/connect"`) {
		t.Errorf("home: %s", page)
	}
}

// Deny sends the browser back to the app, which says so; nothing is created.
func TestConnectDeny(t *testing.T) {
	web, srv := startApp(t)
	b := newBrowser(t)
	page, at := consent(t, b, web, srv, "bob", "deny")
	if at.Path != "/callback" || !strings.Contains(page, "Salesforce access was denied (access_denied)") {
		t.Errorf("after Deny: at %s:\n%s", at, page)
	}
	if n := len(srv.Connections("oauth-example")); n != 0 {
		t.Errorf("%d connections after Deny", n)
	}
}

// No user, or an empty one, is refused: an empty ConsumerRef would list every consumer's connections and
// show another user's.
func TestConnectionNeedsAUser(t *testing.T) {
	web, srv := startApp(t)
	if _, err := srv.ApproveOAuth(t.Context(), connectURL(t, web, "jane")); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	for _, path := range []string{"/connection", "/connection?user=", "/connect?user="} {
		page, status, _ := b.do(web.URL+path, nil)
		if status != http.StatusBadRequest || strings.Contains(page, "Connected:") || !strings.Contains(page, "needs ?user=") {
			t.Errorf("%s: %d\n%s", path, status, page)
		}
	}
}

// connectURL follows the app's connect link without a browser's Accept header and returns the fake's
// authorization URL it redirects to.
func connectURL(t *testing.T, web *httptest.Server, user string) string {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(web.URL + "/connect?user=" + user)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("connect: %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// run binds before it prints "open <URL>": the URL it prints answers at once, on the port the system chose.
func TestRunPrintsAWorkingURL(t *testing.T) {
	t.Setenv("AMPERSAND_API_KEY", "")
	r, w := io.Pipe()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, log.New(w, "", 0)) }()
	lines := bufio.NewScanner(r)
	var opened string
	for opened == "" && lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "open "); ok {
			opened = u
		}
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
	resp, err := http.Get(opened)
	if err != nil {
		t.Fatalf("GET %q, as soon as it was printed: %v", opened, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.HasSuffix(opened, ":0/") {
		t.Errorf("GET %s: %d", opened, resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	w.Close()
}
