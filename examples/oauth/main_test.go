package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// The whole flow, with an HTTP client playing the user's browser: the app sends it to the fake's consent
// page, the consent creates the connection, and the app shows it.
func TestConnectThroughTheBrowser(t *testing.T) {
	srv := amptest.NewServer()
	t.Cleanup(srv.Close)
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey))
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(newApp(c, "oauth-example"))
	t.Cleanup(web.Close)
	jar, _ := cookiejar.New(nil)
	var visited []string
	browser := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		visited = append(visited, r.URL.String())
		return nil
	}}
	get := func(url string) (string, *http.Response) {
		t.Helper()
		resp, err := browser.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
		}
		return string(body), resp
	}

	if page, _ := get(web.URL + "/connection?user=jane"); !strings.Contains(page, "No connection for jane") {
		t.Fatalf("before: %s", page)
	}
	_, resp := get(web.URL + "/connect?user=jane") // the app redirects to the consent page, which grants access
	id := resp.Header.Get("X-Amptest-Connection-Id")
	if len(visited) != 1 || !strings.HasPrefix(visited[0], strings.TrimSuffix(srv.URL, "/v1")) || id == "" {
		t.Fatalf("the browser went to %v; connection %q", visited, id)
	}
	page, _ := get(web.URL + "/connection?user=jane")
	if !strings.Contains(page, "Connected: <code>"+id+"</code>, salesforce, status <b>working</b>") {
		t.Fatalf("after: %s", page)
	}
	conn, ok := srv.Connection("oauth-example", id)
	if !ok || conn.AuthScheme != client.AuthSchemeOAuth2AuthorizationCode || conn.Consumer.ConsumerRef != "jane" {
		t.Errorf("stored %+v", conn)
	}
	if page, _ := get(web.URL + "/"); !strings.Contains(page, "Connect Salesforce") {
		t.Errorf("home: %s", page)
	}
}
