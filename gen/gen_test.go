package gen_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/gen"
)

// seen is one request as the server received it, byte for byte.
type seen struct {
	Method, RequestURI string
	Header             http.Header
	Body               string
}

// recorder is an httptest server under /v1 that records every request and answers 200 with an empty JSON
// object (the smoke test looks at requests only).
func recorder(t *testing.T) (*gen.Client, func() seen) {
	t.Helper()
	var mu sync.Mutex
	var last seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		last = seen{Method: r.Method, RequestURI: r.RequestURI, Header: r.Header.Clone(), Body: string(body)}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	c, err := gen.NewClient(srv.URL+"/v1", gen.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("X-Api-Key", "test-key")
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return c, func() seen { mu.Lock(); defer mu.Unlock(); return last }
}

func ptr[T any](v T) *T { return &v }

func TestEachOperationSendsExactlyWhatTheSpecSays(t *testing.T) {
	c, last := recorder(t)
	ctx := context.Background()
	cases := []struct {
		name       string
		call       func() (*http.Response, error)
		method     string
		uri        string
		body       string // JSON, compared structurally; "" means no body
		wantHeader map[string]string
	}{
		{
			name: "listConnections without filters",
			call: func() (*http.Response, error) {
				return c.ListConnections(ctx, "my-project", &gen.ListConnectionsParams{})
			},
			method: "GET", uri: "/v1/projects/my-project/connections",
		},
		{
			name: "listConnections with filters",
			call: func() (*http.Response, error) {
				return c.ListConnections(ctx, "my-project", &gen.ListConnectionsParams{
					Provider: ptr("sales force&x=1"), GroupRef: ptr("group-123"), ConsumerRef: ptr("c/1"),
				})
			},
			method: "GET", uri: "/v1/projects/my-project/connections?provider=sales+force%26x%3D1&groupRef=group-123&consumerRef=c%2F1",
		},
		{
			name: "generateConnection",
			call: func() (*http.Response, error) {
				return c.GenerateConnection(ctx, "my-project", gen.GenerateConnectionParams{
					Provider: "hubspot", GroupRef: "group-123", ConsumerRef: "consumer-123", APIKey: "secret",
				})
			},
			method: "POST", uri: "/v1/projects/my-project/connections:generate",
			body:       `{"provider":"hubspot","groupRef":"group-123","consumerRef":"consumer-123","apiKey":"secret"}`,
			wantHeader: map[string]string{"Content-Type": "application/json"},
		},
		{
			name: "getConnection with every query parameter",
			call: func() (*http.Response, error) {
				return c.GetConnection(ctx, "my-project", "conn-1", &gen.GetConnectionParams{
					IncludeCreds: ptr(true), IncludeRefreshToken: ptr(false), Refresh: ptr(gen.RefreshModeIfExpired),
				})
			},
			method: "GET", uri: "/v1/projects/my-project/connections/conn-1?includeCreds=true&includeRefreshToken=false&refresh=ifExpired",
		},
		{
			name: "updateConnection",
			call: func() (*http.Response, error) {
				return c.UpdateConnection(ctx, "my-project", "conn-1", gen.UpdateConnectionParams{
					UpdateMask: []gen.UpdateMaskField{gen.UpdateMaskFieldBasicAuth},
					Connection: gen.ConnectionRequest{BasicAuth: gen.BasicAuth{Username: "u", Password: "p"}},
				})
			},
			method: "PATCH", uri: "/v1/projects/my-project/connections/conn-1",
			body:       `{"updateMask":["basicAuth"],"connection":{"basicAuth":{"username":"u","password":"p"}}}`,
			wantHeader: map[string]string{"Content-Type": "application/json"},
		},
		{
			name: "deleteConnection",
			call: func() (*http.Response, error) {
				return c.DeleteConnection(ctx, "my-project", "conn-1")
			},
			method: "DELETE", uri: "/v1/projects/my-project/connections/conn-1",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.call()
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := last()
			if got.Method != tc.method || got.RequestURI != tc.uri {
				t.Errorf("sent %s %s, want %s %s", got.Method, got.RequestURI, tc.method, tc.uri)
			}
			if k := got.Header.Get("X-Api-Key"); k != "test-key" {
				t.Errorf("X-Api-Key = %q", k)
			}
			for k, v := range tc.wantHeader {
				if got.Header.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, got.Header.Get(k), v)
				}
			}
			if tc.body == "" {
				if got.Body != "" {
					t.Errorf("unexpected body %q", got.Body)
				}
				return
			}
			var a, b any
			if err := json.Unmarshal([]byte(got.Body), &a); err != nil {
				t.Fatalf("body %q: %v", got.Body, err)
			}
			_ = json.Unmarshal([]byte(tc.body), &b)
			if ja, jb := mustJSON(a), mustJSON(b); ja != jb {
				t.Errorf("body = %s, want %s", ja, jb)
			}
		})
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// Path parameters are percent-escaped as one segment, except the dot segments and the empty string, which the
// generated builder turns into another URL. pkg/client refuses those before any I/O; this test pins the raw
// behaviour so that nobody relies on gen for it.
func TestPathEscaping(t *testing.T) {
	c, last := recorder(t)
	ctx := context.Background()
	cases := []struct{ id, project, conn string }{
		{"a/b", "/v1/projects/a%2Fb/connections:generate", "/v1/projects/p/connections/a%2Fb"},
		{"a?b", "/v1/projects/a%3Fb/connections:generate", "/v1/projects/p/connections/a%3Fb"},
		{"a#b", "/v1/projects/a%23b/connections:generate", "/v1/projects/p/connections/a%23b"},
		{"a b", "/v1/projects/a%20b/connections:generate", "/v1/projects/p/connections/a%20b"},
		{"100%", "/v1/projects/100%25/connections:generate", "/v1/projects/p/connections/100%25"},
		{"ünï码", "/v1/projects/%C3%BCn%C3%AF%E7%A0%81/connections:generate", "/v1/projects/p/connections/%C3%BCn%C3%AF%E7%A0%81"},
		{"a..b", "/v1/projects/a..b/connections:generate", "/v1/projects/p/connections/a..b"},
		{"a:b+c", "/v1/projects/a:b+c/connections:generate", "/v1/projects/p/connections/a:b+c"},
		// The hazards: another resource entirely.
		{"..", "/v1/connections:generate", "/v1/projects/p/"},
		{".", "/v1/projects/connections:generate", "/v1/projects/p/connections/"},
		{"", "/v1/projects//connections:generate", "/v1/projects/p/connections/"},
	}
	for _, tc := range cases {
		resp, err := c.GenerateConnection(ctx, tc.id, gen.GenerateConnectionParams{Provider: "x", GroupRef: "g", ConsumerRef: "c"})
		if err != nil {
			t.Fatalf("%q: %v", tc.id, err)
		}
		resp.Body.Close()
		if got := last().RequestURI; got != tc.project {
			t.Errorf("projectIdOrName %q: sent %s, want %s", tc.id, got, tc.project)
		}
		resp, err = c.GetConnection(ctx, "p", tc.id, nil)
		if err != nil {
			t.Fatalf("%q: %v", tc.id, err)
		}
		resp.Body.Close()
		if got := last().RequestURI; got != tc.conn {
			t.Errorf("connectionId %q: sent %s, want %s", tc.id, got, tc.conn)
		}
	}
}

// The problem schemas extend each other through allOf; every field must survive generation (oapi-codegen
// drops sibling properties of a nested allOf, which is why api/openapi.yaml uses allOf members).
func TestProblemTypesKeepEveryField(t *testing.T) {
	const body = `{"type":"about:blank","title":"Bad Request","status":400,"detail":"d","instance":"urn:x",
		"subsystem":"api","time":"2024-04-22T18:55:28.456076Z","requestId":"req-1","causes":["c1"],
		"remedy":"fix it","supportEmail":"","supportPhone":"+1","supportUrl":"https://s","retryable":true,
		"retryAfter":"2024-04-22T18:56:00Z","context":{"k":"v"},
		"issues":[{"in":"body","name":"groupRef","value":42,"detail":"missing","requestId":"req-1","retryable":false}]}`
	var p gen.InputValidationProblem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	if p.RequestID != "req-1" || p.Remedy != "fix it" || p.Retryable == nil || !*p.Retryable ||
		!p.RetryAfter.Equal(time.Date(2024, 4, 22, 18, 56, 0, 0, time.UTC)) || p.Subsystem != "api" ||
		p.Status != 400 || p.Title != "Bad Request" || p.Context["k"] != "v" || len(p.Causes) != 1 || p.SupportURL != "https://s" {
		t.Errorf("fields lost: %+v", p)
	}
	if len(p.Issues) != 1 {
		t.Fatalf("issues = %+v", p.Issues)
	}
	is := p.Issues[0]
	if is.In != gen.InputValidationIssueInBody || is.Name != "groupRef" || is.Value != float64(42) ||
		is.RequestID != "req-1" || is.Retryable == nil || *is.Retryable {
		t.Errorf("issue fields lost: %+v", is)
	}

	// Absent retryable stays nil: "the server does not say" differs from false.
	var q gen.APIProblem
	if err := json.Unmarshal([]byte(`{"status":503}`), &q); err != nil || q.Retryable != nil {
		t.Errorf("absent retryable: %+v, %v", q.Retryable, err)
	}
}

// Enum constants are prefixed, readable Go; unknown values from a newer server still decode.
func TestEnums(t *testing.T) {
	for v, want := range map[gen.AuthScheme]string{
		gen.AuthSchemeNone: "none", gen.AuthSchemeAPIKey: "apiKey", gen.AuthSchemeBasic: "basic",
		gen.AuthSchemeOAuth2AuthorizationCode:     "oauth2/authorizationCode",
		gen.AuthSchemeOAuth2AuthorizationCodePKCE: "oauth2/authorizationCodePKCE",
		gen.AuthSchemeOAuth2ClientCredentials:     "oauth2/clientCredentials",
		gen.AuthSchemeOAuth2Password:              "oauth2/password",
	} {
		if string(v) != want || !v.Valid() {
			t.Errorf("%q != %q", v, want)
		}
	}
	var c gen.Connection
	if err := json.Unmarshal([]byte(`{"authScheme":"oauth2/brandNew","status":"paused"}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.AuthScheme.Valid() || c.Status.Valid() || c.AuthScheme != "oauth2/brandNew" {
		t.Errorf("unknown enum values: %+v", c)
	}
	// format: email is a plain string: an empty or odd support address must not fail the problem's decoding.
	var p gen.APIProblem
	if err := json.Unmarshal([]byte(`{"supportEmail":"support"}`), &p); err != nil || p.SupportEmail != "support" {
		t.Errorf("supportEmail: %v %+v", err, p)
	}
	if !strings.HasPrefix(string(gen.UpdateMaskFieldOAuth2ClientCredentials), "oauth2") {
		t.Error("UpdateMaskFieldOAuth2ClientCredentials")
	}
}
