package client_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

var oauthReq = client.OAuthConnectRequest{Params: client.OAuthConnectParams{ProjectIDOrName: "p", Provider: "salesforce", GroupRef: "g", ConsumerRef: "c"}}

// A returned URL is what a program sends a browser to: anything but one absolute https URL (http from a
// loopback http server, as here) is a DecodeError holding the raw body.
func TestOAuthURLsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		body string
		ok   bool
		want string // the URL returned when ok
	}{
		{"https://login.example.com/authorize?state=1", true, "https://login.example.com/authorize?state=1"},
		{"https://login.example.com/a\n", true, "https://login.example.com/a"}, // a trailing newline is not part of it
		{`"https://login.example.com/a"`, true, "https://login.example.com/a"}, // a JSON string
		{"http://127.0.0.1:9/authorize", true, "http://127.0.0.1:9/authorize"}, // this test's server is loopback http
		{"", false, ""}, {"   \n", false, ""}, {"/relative/path", false, ""}, {"login.example.com/a", false, ""},
		{"javascript:alert(document.cookie)", false, ""}, {"data:text/html,<script>x</script>", false, ""},
		{"ftp://files.example.com/", false, ""}, {"https://", false, ""}, {"https:///path", false, ""},
		{"https://user:pass@login.example.com/", false, ""},
		{"https://a.example.com/ https://b.example.com/", false, ""}, {"https://a.example.com/\nhttps://b.example.com/", false, ""},
		{"https://a.example.com/\x00", false, ""}, {`{"url":"https://a.example.com/"}`, false, ""}, {`"javascript:x"`, false, ""},
	} {
		api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { reply(w, 200, "text/plain", tc.body) })
		c := api.newClient(t)
		for name, call := range map[string]func() (string, error){
			"connect": func() (string, error) { return text(c.OAuth.Connect(bg, oauthReq)) },
			"update": func() (string, error) {
				return text(c.OAuth.Update(bg, client.OAuthUpdateRequest{ProjectIDOrName: "p", ConnectionID: "c"}))
			},
		} {
			got, err := call()
			var decErr *client.DecodeError
			switch {
			case tc.ok && (err != nil || got != tc.want):
				t.Errorf("%s %q: %q, %v; want %q", name, tc.body, got, err, tc.want)
			case !tc.ok && (!errors.As(err, &decErr) || string(decErr.Body) != tc.body):
				t.Errorf("%s %q: %q, %v; want a DecodeError with the body", name, tc.body, got, err)
			}
		}
	}
}

// text is a returned URL as a string; "" for nil.
func text(u *url.URL, err error) (string, error) {
	if u == nil {
		return "", err
	}
	return u.String(), err
}

// A custom auth step holds exactly one of a redirect (with a URL checked as OAuth's are) and a connection.
func TestCustomAuthStep(t *testing.T) {
	conn := `{"connection":` + connJSON + `}`
	for _, tc := range []struct {
		body, want string // want: "redirect", "connection", or the start of an error
	}{
		{`{"redirect":{"url":"https://p.example.com/consent","sessionId":"s-1"}}`, "redirect"},
		{conn, "connection"},
		{`{"redirect":{"url":"https://p.example.com/","sessionId":"s"},"connection":` + connJSON + `}`, "decoding the response: expected exactly one"},
		{`{}`, "decoding the response: expected exactly one"},
		{`{"redirect":{"url":"javascript:alert(1)","sessionId":"s"}}`, "decoding the response: /redirect/url: unsafe redirect URL"},
		{`{"connection":{"provider":"p"}}`, `decoding the response: /connection/id: the connection has no usable id`},
	} {
		api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { reply(w, 200, "application/json", tc.body) })
		got, err := api.newClient(t).Connections.CustomAuthConnect(bg, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
			ProjectIDOrName: "p", SessionID: "s-1", CallbackParams: map[string]string{"tenant": "t"}}})
		switch tc.want {
		case "redirect":
			if err != nil || got.Connection != nil || got.Redirect == nil || got.Redirect.URL.Host != "p.example.com" || got.Redirect.SessionID != "s-1" {
				t.Errorf("%s: %+v, %v", tc.body, got, err)
			}
		case "connection":
			if err != nil || got.Redirect != nil || got.Connection == nil || got.Connection.ID != "conn-1" {
				t.Errorf("%s: %+v, %v", tc.body, got, err)
			}
		default:
			if !errors.As(err, new(*client.DecodeError)) || !strings.Contains(err.Error(), tc.want) || got != nil {
				t.Errorf("%s: %+v, %v; want a DecodeError %q", tc.body, got, err, tc.want)
			}
		}
	}
}

// Bad input is refused before any I/O; a custom auth resume call needs only the project and the session.
func TestConnectValidationBeforeIO(t *testing.T) {
	api := newFakeAPI(t, okHandler)
	c := api.newClient(t)
	for name, call := range map[string]func() error{
		"connect without a consumer": func() error {
			p := oauthReq.Params
			p.ConsumerRef = ""
			_, err := c.OAuth.Connect(bg, client.OAuthConnectRequest{Params: p})
			return err
		},
		"connect without a project": func() error {
			p := oauthReq.Params
			p.ProjectIDOrName = ""
			_, err := c.OAuth.Connect(bg, client.OAuthConnectRequest{Params: p})
			return err
		},
		"update of ..": func() error {
			_, err := c.OAuth.Update(bg, client.OAuthUpdateRequest{ProjectIDOrName: "p", ConnectionID: ".."})
			return err
		},
		"custom auth start without a provider": func() error {
			_, err := c.Connections.CustomAuthConnect(bg, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
				ProjectIDOrName: "p", GroupRef: "g", ConsumerRef: "c"}})
			return err
		},
	} {
		if err := call(); !errors.As(err, new(*client.ValidationError)) {
			t.Errorf("%s: err = %v, want a ValidationError", name, err)
		}
	}
	if n := len(api.requests()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
	if _, err := c.Connections.CustomAuthConnect(bg, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
		ProjectIDOrName: "p", SessionID: "s-1"}}); err != nil {
		t.Errorf("a resume call: %v", err)
	}
}

// The OAuth operations only mint a URL: retried like the idempotent ones. Custom auth may create a
// connection: retried as generate is (a 503, not a 500).
func TestConnectRetries(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		call   func(c *client.Client) error
		want   int // requests
	}{
		{"oauthConnect after 500", 500, func(c *client.Client) error { _, err := c.OAuth.Connect(bg, oauthReq); return err }, 2},
		{"oauthUpdate after 502", 502, func(c *client.Client) error {
			_, err := c.OAuth.Update(bg, client.OAuthUpdateRequest{ProjectIDOrName: "p", ConnectionID: "c"})
			return err
		}, 2},
		{"customAuthConnect after 500", 500, func(c *client.Client) error {
			_, err := c.Connections.CustomAuthConnect(bg, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{ProjectIDOrName: "p", SessionID: "s"}})
			return err
		}, 1},
		{"customAuthConnect after 503", 503, func(c *client.Client) error {
			_, err := c.Connections.CustomAuthConnect(bg, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{ProjectIDOrName: "p", SessionID: "s"}})
			return err
		}, 2},
	} {
		api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				w.WriteHeader(tc.status)
				return
			}
			okHandler(w, r, n)
		})
		_ = tc.call(api.newClient(t, client.WithRetryConfig(fastRetries())))
		if got := len(api.requests()); got != tc.want {
			t.Errorf("%s: %d requests, want %d", tc.name, got, tc.want)
		}
	}
}
