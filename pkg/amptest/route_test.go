package amptest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// A parameter followed by literal text in its segment (oauthUpdate's {connectionId}:oauth-update) is routed
// to its own operation, never mistaken for the plain connection path, and comes back percent-decoded.
func TestRoutingCustomMethod(t *testing.T) {
	h := newHarness(t)
	update := `{"updateMask":["apiKey"],"connection":{"apiKey":"k"}}`
	steps := []struct {
		method, path, body string
		status             int
		op                 Operation
		detail             string // part of the problem's detail
	}{
		{http.MethodPatch, connectionPath("p", "abc") + ":oauth-update", "", 404, OpOAuthUpdate, `connection "abc" not found`},
		{http.MethodPatch, connectionPath("p", "abc"), update, 404, OpUpdateConnection, `connection "abc" not found`},
		{http.MethodGet, connectionPath("p", "abc"), "", 404, OpGetConnection, `connection "abc" not found`},
		{http.MethodGet, connectionPath("p", "abc") + ":oauth-update", "", 405, AnyOperation, "use PATCH"},
		{http.MethodDelete, connectionPath("p", "abc") + ":oauth-update", "", 405, AnyOperation, "use PATCH"},
		// An escaped colon is part of the ID.
		{http.MethodPatch, connectionPath("p", "abc") + "%3Aoauth-update", update, 404, OpUpdateConnection, `connection "abc:oauth-update" not found`},
		{http.MethodGet, connectionPath("p", "abc") + "%3Aoauth-update", "", 404, OpGetConnection, `connection "abc:oauth-update" not found`},
		{http.MethodPatch, connectionPath("p/q", "a/b:c") + ":oauth-update", "", 404, OpOAuthUpdate, `connection "a/b:c" not found in project "p/q"`},
		{http.MethodPatch, connectionsPath("p") + "/:oauth-update", "", 400, OpOAuthUpdate, "does not match the API specification"},
		{http.MethodPatch, connectionsPath("p") + ":oauth-update", "", 404, AnyOperation, "no API operation"},
		{http.MethodGet, "/oauth-connect", "", 405, AnyOperation, "use POST"},
		{http.MethodGet, "/custom-auth/connect", "", 405, AnyOperation, "use POST"},
	}
	for i, s := range steps {
		var body any
		if s.body != "" {
			body = s.body
		}
		p := expectProblem(t, h.send(s.method, s.path, body), s.status)
		if !strings.Contains(p.Detail, s.detail) {
			t.Errorf("%s %s: detail %q, want %q", s.method, s.path, p.Detail, s.detail)
		}
		if op := h.srv.Requests()[i].Operation; op != s.op {
			t.Errorf("%s %s: routed to %q, want %q", s.method, s.path, op, s.op)
		}
	}
	r := h.send(http.MethodGet, connectionPath("p", "abc")+":oauth-update", nil)
	if allow := r.header.Get("Allow"); allow != "PATCH" {
		t.Errorf("Allow %q, want PATCH", allow)
	}
}

func TestRouterParameters(t *testing.T) {
	rt, err := apiRouter()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path, op string
		params           map[string]string
	}{
		{"PATCH", "/v1/projects/p%2Fq/connections/a%2Fb:c:oauth-update", "oauthUpdate",
			map[string]string{"projectIdOrName": "p%2Fq", "connectionId": "a%2Fb:c"}},
		{"PATCH", "/v1/projects/p/connections/x", "updateConnection", map[string]string{"projectIdOrName": "p", "connectionId": "x"}},
		{"POST", "/v1/projects/p/connections:generate", "generateConnection", map[string]string{"projectIdOrName": "p"}},
		{"GET", "/v1/projects//connections", "listConnections", map[string]string{"projectIdOrName": ""}},
		{"POST", "/v1/oauth-connect", "oauthConnect", map[string]string{}},
	} {
		route, params, err := rt.FindRoute(httptest.NewRequest(tc.method, tc.path, nil))
		if err != nil || route.Operation.OperationID != tc.op || len(params) != len(tc.params) {
			t.Errorf("%s %s: %v %v %v", tc.method, tc.path, route, params, err)
			continue
		}
		for k, v := range tc.params {
			if params[k] != v {
				t.Errorf("%s %s: %s = %q, want %q", tc.method, tc.path, k, params[k], v)
			}
		}
	}
	for _, path := range []string{"/projects/p/connections", "/v2/projects/p/connections", "/v1", "/v1projects/p/connections"} {
		if _, _, err := rt.FindRoute(httptest.NewRequest("GET", path, nil)); err == nil {
			t.Errorf("GET %s was routed", path)
		}
	}
}

// The browser steps answer GET only (and the consent's form POST), with an HTML page; other methods are
// recorded as unrouted.
func TestBrowserStepMethods(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/oauth/authorize", "/custom-auth/provider", "/custom-auth/callback"} {
		req, _ := http.NewRequest(http.MethodPut, strings.TrimSuffix(h.srv.URL, "/v1")+path, nil)
		resp, err := h.rawClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		allow := "GET"
		if path == "/oauth/authorize" {
			allow = "GET, POST"
		}
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != allow || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("PUT %s: %d %v", path, resp.StatusCode, resp.Header)
		}
	}
	if ops := h.ops(); !slices.Equal(ops, []Operation{AnyOperation, AnyOperation, AnyOperation}) {
		t.Errorf("recorded %v", ops)
	}
	if r := h.browse("/oauth/authorize/"); r.status != 404 {
		t.Errorf("a path that is no step: %d", r.status)
	}
}

// The server validates its text/plain replies too: a URL reply with another content type is a bug.
func TestTextReplyValidation(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	for _, path := range []string{"/v1/oauth-connect", "/v1/projects/p/connections/c:oauth-update"} {
		method := http.MethodPost
		if strings.HasSuffix(path, "update") {
			method = http.MethodPatch
		}
		r := httptest.NewRequest(method, path, nil)
		route, params, err := srv.findRoute(r)
		if err != nil {
			t.Fatal(err)
		}
		x := &exchange{r: r, route: route, params: params, op: Operation(route.Operation.OperationID), requestID: "rid"}
		good := &reply{status: 200, header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, body: []byte("http://127.0.0.1:1/oauth/authorize?state=x")}
		if err := validateReply(x, good); err != nil {
			t.Errorf("%s: a text/plain URL was refused: %v", path, err)
		}
		if err := validateReply(x, jsonReply(200, "http://127.0.0.1:1/")); err == nil {
			t.Errorf("%s: a JSON reply was accepted", path)
		}
	}
}
