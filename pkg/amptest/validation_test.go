package amptest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

func TestRequestValidation(t *testing.T) {
	h := newHarness(t)
	c := h.generate("p", apiKeyParams("v"))
	cases := []struct {
		name         string
		status       int // 422 where generateConnection's spec is broken (the status it declares), else 400
		method, path string
		body         any
		edits        []func(*http.Request)
		want         []issueKey
	}{
		{"missing required fields", http.StatusUnprocessableEntity, http.MethodPost, generatePath("p"), `{"provider":"x"}`, nil,
			[]issueKey{{"body", "consumerRef"}, {"body", "groupRef"}}},
		{"wrong types, nested", http.StatusUnprocessableEntity, http.MethodPost, generatePath("p"),
			`{"provider":"x","groupRef":1,"consumerRef":"c","basicAuth":{"username":"u"}}`, nil,
			[]issueKey{{"body", "basicAuth.password"}, {"body", "groupRef"}}},
		{"not JSON", http.StatusUnprocessableEntity, http.MethodPost, generatePath("p"), `not json`, nil, []issueKey{{"body", ""}}},
		{"no body", http.StatusUnprocessableEntity, http.MethodPost, generatePath("p"), nil, nil, []issueKey{{"body", ""}}},
		{"wrong content type", http.StatusUnprocessableEntity, http.MethodPost, generatePath("p"), `{}`,
			[]func(*http.Request){withHeaderValue("Content-Type", "text/plain")}, []issueKey{{"header", "Content-Type"}}},
		{"bad query values", http.StatusBadRequest, http.MethodGet, connectionPath("p", c.ID) + "?refresh=sometimes&includeCreds=maybe", nil, nil,
			[]issueKey{{"query", "includeCreds"}, {"query", "refresh"}}},
		{"unknown update mask", http.StatusBadRequest, http.MethodPatch, connectionPath("p", c.ID), `{"updateMask":["name"],"connection":{}}`, nil,
			[]issueKey{{"body", "updateMask[0]"}}},
		{"update body field", http.StatusBadRequest, http.MethodPatch, connectionPath("p", c.ID),
			`{"updateMask":["basicAuth"],"connection":{"basicAuth":{"username":"u"}}}`, nil,
			[]issueKey{{"body", "connection.basicAuth.password"}}},
		{"update without connection", http.StatusBadRequest, http.MethodPatch, connectionPath("p", c.ID), `{"updateMask":["apiKey"]}`, nil,
			[]issueKey{{"body", "connection"}}},
		{"empty path segment", http.StatusBadRequest, http.MethodGet, "/projects//connections", nil, nil, []issueKey{{"path", "projectIdOrName"}}},
		{"more than one credential", http.StatusBadRequest, http.MethodPost, generatePath("p"), client.GenerateConnectionParams{
			Provider: "x", GroupRef: "g", ConsumerRef: "c", APIKey: "k", BasicAuth: client.BasicAuth{Username: "u", Password: "p"},
		}, nil, []issueKey{{"body", "apiKey"}, {"body", "basicAuth"}}},
		{"empty required values", http.StatusBadRequest, http.MethodPost, generatePath("p"), `{"provider":"","groupRef":"","consumerRef":"c"}`, nil,
			[]issueKey{{"body", "provider"}, {"body", "groupRef"}}},
		{"empty credential", http.StatusBadRequest, http.MethodPost, generatePath("p"),
			`{"provider":"x","groupRef":"g","consumerRef":"c","oauth2AuthorizationCode":{}}`, nil,
			[]issueKey{{"body", "oauth2AuthorizationCode"}}},
		{"token without value", http.StatusBadRequest, http.MethodPost, generatePath("p"),
			`{"provider":"x","groupRef":"g","consumerRef":"c","oauth2AuthorizationCode":{"refreshToken":{"token":""}}}`, nil,
			[]issueKey{{"body", "oauth2AuthorizationCode.refreshToken.token"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(h.srv.Connections("p"))
			// generateConnection declares 422 for a request that breaks the spec (see invalidRequest); the
			// checks the spec cannot express (more than one credential, empty values) are 400.
			p := expectProblem(t, h.send(tc.method, tc.path, tc.body, tc.edits...), tc.status)
			if got := issueKeys(p); !slices.Equal(got, tc.want) {
				t.Errorf("issues %v, want %v\n%+v", got, tc.want, p.Issues)
			}
			if after := len(h.srv.Connections("p")); after != before {
				t.Errorf("a rejected request changed the number of connections from %d to %d", before, after)
			}
		})
	}
}

func TestIssueDetails(t *testing.T) {
	h := newHarness(t)
	p := expectProblem(t, h.send(http.MethodPost, generatePath("p"), `{"provider":"x","consumerRef":"c"}`), http.StatusUnprocessableEntity)
	if len(p.Issues) != 1 || p.Issues[0].Detail != `property "groupRef" is missing` {
		t.Errorf("issues %+v", p.Issues)
	}
	p = expectProblem(t, h.send(http.MethodGet, connectionPath("p", "x")+"?refresh=sometimes", nil), http.StatusBadRequest)
	if len(p.Issues) != 1 || p.Issues[0].Value != "sometimes" || !strings.Contains(p.Issues[0].Detail, "allowed values") {
		t.Errorf("issues %+v", p.Issues)
	}
}

func TestAuthentication(t *testing.T) {
	h := newHarness(t, WithAPIKey("the-key"))
	if h.srv.APIKey != "the-key" {
		t.Fatalf("APIKey %q", h.srv.APIKey)
	}
	if def := NewServer(); !strings.HasPrefix(def.APIKey, "amptest-") || len(def.APIKey) != len("amptest-")+32 {
		t.Errorf("default key %q", def.APIKey)
	} else {
		def.Close()
	}
	cases := []struct {
		name         string
		method, path string
		body         any
		edit         func(*http.Request)
	}{
		{"missing key", http.MethodGet, connectionsPath("p"), nil, withoutHeader("X-Api-Key")},
		{"empty key", http.MethodGet, connectionsPath("p"), nil, withHeaderValue("X-Api-Key", "")},
		{"wrong key", http.MethodDelete, connectionPath("p", "x"), nil, withHeaderValue("X-Api-Key", "other")},
		{"checked before validation", http.MethodPost, generatePath("p"), `{}`, withoutHeader("X-Api-Key")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := expectProblem(t, h.send(tc.method, tc.path, tc.body, tc.edit), http.StatusUnauthorized)
			if !strings.Contains(p.Detail, "X-Api-Key") || len(p.Issues) != 0 {
				t.Errorf("problem %+v", p)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	h := newHarness(t)
	expectProblem(t, h.send(http.MethodGet, "/nope", nil), http.StatusNotFound)
	expectProblem(t, h.send(http.MethodGet, connectionsPath("p")+"/a/b", nil), http.StatusNotFound)
	r := h.send(http.MethodPut, connectionsPath("p"), nil)
	expectProblem(t, r, http.StatusMethodNotAllowed)
	if allow := r.header.Get("Allow"); allow != "GET" {
		t.Errorf("Allow %q, want GET", allow)
	}
	// The legacy router would take PATCH .../connections as updateConnection with an empty connectionId.
	r = h.send(http.MethodPatch, connectionsPath("p"), `{}`)
	expectProblem(t, r, http.StatusMethodNotAllowed)
	if got := h.srv.Requests(); got[0].Operation != AnyOperation || got[2].Operation != AnyOperation {
		t.Errorf("unrouted requests recorded as %q, %q", got[0].Operation, got[2].Operation)
	}
}

func TestBodyTooLarge(t *testing.T) {
	h := newHarness(t)
	big := `{"provider":"` + strings.Repeat("x", maxRequestBody) + `"}`
	expectProblem(t, h.send(http.MethodPost, generatePath("p"), big), http.StatusRequestEntityTooLarge)
}

// TestSpecCheckCatchesInvalidReplies makes sure the spec check of the tests is not vacuous: replies that break
// the spec are reported.
func TestSpecCheckCatchesInvalidReplies(t *testing.T) {
	path := "/v1" + connectionsPath("p")
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+path, nil)
	cases := []struct {
		name   string
		status int
		ct     string
		body   string
	}{
		{"status enum", 200, "application/json", `[{"id":"x","projectId":"p","provider":"x","authScheme":"apiKey",` +
			`"status":"paused","createTime":"2024-01-01T00:00:00Z","group":{},"consumer":{}}]`},
		{"object instead of array", 200, "application/json", `{}`},
		{"HTML error page", 502, "text/html", `<html></html>`},
		{"problem with a string status", 404, "application/problem+json", `{"status":"404"}`},
	}
	for _, tc := range cases {
		if err := checkExchange(req, tc.status, http.Header{"Content-Type": {tc.ct}}, []byte(tc.body)); err == nil {
			t.Errorf("%s: the check accepted an invalid reply", tc.name)
		}
	}
}

// TestInvalidReplyBecomes500 checks the server's own reply validation, which turns a reply that breaks the
// spec (a bug in the fake) into a 500 problem.
func TestInvalidReplyBecomes500(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	r := httptest.NewRequest(http.MethodGet, "/v1/projects/p/connections", nil)
	route, params, err := srv.findRoute(r)
	if err != nil {
		t.Fatal(err)
	}
	x := &exchange{r: r, route: route, params: params, op: OpListConnections, requestID: "rid"}
	bad := jsonReply(http.StatusOK, []client.Connection{{ID: "x", Status: "paused"}})
	if err := validateReply(x, bad); err == nil {
		t.Fatal("validateReply accepted a connection with status paused")
	}
	if err := validateReply(x, jsonReply(http.StatusOK, []client.Connection{})); err != nil {
		t.Fatalf("validateReply rejected an empty list: %v", err)
	}
	rp := srv.problem(x, http.StatusInternalServerError, "amptest: invalid response: x")
	if err := validateReply(x, rp); err != nil {
		t.Fatalf("the 500 problem itself is invalid: %v", err)
	}
}
