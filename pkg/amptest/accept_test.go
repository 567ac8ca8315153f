package amptest

import (
	"net/http"
	"strings"
	"testing"
)

// The fake negotiates content as Ampersand's document makes a server do (and Prism does): an Accept that
// admits none of the media types of the operation's success reply is refused with 406, whatever else it
// admits; an absent Accept, */*, type/* and q-values are read as RFC 9110 says.
func TestNotAcceptable(t *testing.T) {
	h := newHarness(t)
	seed := expectJSON[map[string]any](t, h.send(http.MethodPost, generatePath("p"),
		`{"provider":"hubspot","groupRef":"g","consumerRef":"c","apiKey":"k"}`), http.StatusCreated)
	conn := connectionPath("p", seed["id"].(string))
	connect := func() (string, string, any) { return http.MethodPost, "/oauth-connect", connectParams }
	get := func() (string, string, any) { return http.MethodGet, conn, nil }
	update := func() (string, string, any) { return http.MethodPatch, conn + ":oauth-update", nil }
	del := func() (string, string, any) { return http.MethodDelete, connectionPath("p", "missing"), nil }
	cases := []struct {
		name   string
		req    func() (string, string, any)
		accept []string // nil: no Accept header
		status int
	}{
		{"oauthConnect, JSON or a problem", connect, []string{"application/json, application/problem+json"}, 406},
		{"oauthConnect, text/plain or a problem", connect, []string{"text/plain, application/problem+json"}, 200},
		{"oauthConnect, no Accept", connect, nil, 200},
		{"oauthConnect, */*", connect, []string{"*/*"}, 200},
		{"oauthConnect, text/*", connect, []string{"text/*"}, 200},
		{"oauthConnect, text/plain with parameters", connect, []string{"text/plain; charset=utf-8; q=0.5"}, 200},
		{"oauthConnect, text/plain at q=0", connect, []string{"text/plain;q=0, application/problem+json"}, 406},
		{"oauthConnect, text/* at q=0 but text/plain named", connect, []string{"text/*;q=0, text/plain"}, 200},
		{"oauthConnect, two header lines", connect, []string{"application/json", "text/plain"}, 200},
		{"oauthConnect, garbage", connect, []string{"garbage"}, 406},
		{"oauthUpdate, JSON", update, []string{"application/json"}, 406},
		{"oauthUpdate, text/plain runs it (an API-key connection: 400)", update, []string{"text/plain"}, 400},
		{"getConnection, text/plain", get, []string{"text/plain"}, 406},
		{"getConnection, JSON or a problem", get, []string{"application/json, application/problem+json"}, 200},
		{"getConnection, application/*", get, []string{"application/*"}, 200},
		{"deleteConnection has no success body", del, []string{"text/html"}, 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method, path, body := tc.req()
			r := h.send(method, path, body, func(req *http.Request) { req.Header["Accept"] = tc.accept })
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status == 406 {
				p := expectProblem(t, r, 406)
				if !strings.Contains(p.Detail, "admits none") {
					t.Errorf("detail %q does not say why", p.Detail)
				}
			}
		})
	}
}

// A request the document refuses for another reason is refused for that reason first, as Prism does: no key
// is 401, an invalid body 400, whatever the Accept.
func TestNotAcceptableComesAfterAuthAndValidation(t *testing.T) {
	h := newHarness(t)
	json := func(req *http.Request) { req.Header.Set("Accept", "application/json") }
	noKey := func(req *http.Request) { req.Header.Del("X-Api-Key") }
	expectProblem(t, h.send(http.MethodPost, "/oauth-connect", connectParams, json, noKey), 401)
	expectProblem(t, h.send(http.MethodPost, "/oauth-connect", `{"provider":"salesforce"}`, json), 400)
}
