package client_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/gen"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// authURL is the authorization URL okHandler answers the OAuth operations with.
const authURL = "https://login.salesforce.com/services/oauth2/authorize?client_id=x&state=s-1"

// okHandler answers like the API: a connection, a list of one, or 204 for DELETE; a URL for the OAuth
// operations and a redirect step for custom auth.
func okHandler(w http.ResponseWriter, r *http.Request, _ int) {
	switch {
	case r.URL.Path == "/v1/oauth-connect", strings.HasSuffix(r.URL.Path, ":oauth-update"):
		reply(w, http.StatusOK, "text/plain", authURL+"\n")
	case r.URL.Path == "/v1/custom-auth/connect":
		reply(w, http.StatusOK, "application/json", `{"redirect":{"url":"`+authURL+`","sessionId":"sess-1"}}`)
	case r.Method == http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPost:
		reply(w, http.StatusCreated, "application/json", connJSON)
	case strings.HasSuffix(r.URL.Path, "/connections"):
		reply(w, http.StatusOK, "application/json", "["+connJSON+"]")
	default:
		reply(w, http.StatusOK, "application/json", connJSON)
	}
}

// Each operation sends exactly the method, path, query, headers and body the spec describes, and decodes
// the reply. The method and the standalone function send the same request and return the same result.
func TestOperations(t *testing.T) {
	api := newFakeAPI(t, okHandler)
	c := api.newClient(t)
	params := client.GenerateConnectionParams{Provider: "hubspot", GroupRef: "group-123", ConsumerRef: "consumer-123", APIKey: "pat-1"}
	update := client.UpdateConnectionParams{
		UpdateMask: []client.UpdateMaskField{gen.UpdateMaskFieldProviderWorkspaceRef},
		Connection: client.ConnectionRequest{ProviderWorkspaceRef: "acme"},
	}
	oauthParams := client.OAuthConnectParams{ProjectIDOrName: "my-project", Provider: "salesforce", GroupRef: "group-123",
		ConsumerRef: "user-1", ProviderWorkspaceRef: "acme"}
	customParams := client.CustomAuthConnectParams{ProjectIDOrName: "my-project", Provider: "bill", GroupRef: "group-123",
		ConsumerRef: "user-1", CustomAuth: map[string]any{"password": "hunter2"}}
	type result struct {
		v   any
		err error
	}
	cases := []struct {
		name             string
		method, sa       func() result
		wantMethod, want string
		wantBody         string
	}{
		{
			name: "List",
			method: func() result {
				v, err := c.Connections.List(bg, client.ListConnectionsRequest{ProjectIDOrName: "my-project", Provider: "salesforce", GroupRef: "g 1"})
				return result{v, err}
			},
			sa: func() result {
				v, err := client.ConnectionsList(bg, c, client.ListConnectionsRequest{ProjectIDOrName: "my-project", Provider: "salesforce", GroupRef: "g 1"})
				return result{v, err}
			},
			wantMethod: "GET", want: "/v1/projects/my-project/connections?provider=salesforce&groupRef=g+1",
		},
		{
			name: "Generate",
			method: func() result {
				v, err := c.Connections.Generate(bg, client.GenerateConnectionRequest{ProjectIDOrName: "my-project", Params: params})
				return result{v, err}
			},
			sa: func() result {
				v, err := client.ConnectionsGenerate(bg, c, client.GenerateConnectionRequest{ProjectIDOrName: "my-project", Params: params})
				return result{v, err}
			},
			wantMethod: "POST", want: "/v1/projects/my-project/connections:generate",
			wantBody: `{"apiKey":"pat-1","consumerRef":"consumer-123","groupRef":"group-123","provider":"hubspot"}`,
		},
		{
			name: "Get",
			method: func() result {
				v, err := c.Connections.Get(bg, client.GetConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: "conn-1", IncludeCreds: true, Refresh: client.RefreshModeIfExpired})
				return result{v, err}
			},
			sa: func() result {
				v, err := client.ConnectionsGet(bg, c, client.GetConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: "conn-1", IncludeCreds: true, Refresh: client.RefreshModeIfExpired})
				return result{v, err}
			},
			wantMethod: "GET", want: "/v1/projects/my-project/connections/conn-1?includeCreds=true&refresh=ifExpired",
		},
		{
			name: "Update",
			method: func() result {
				v, err := c.Connections.Update(bg, client.UpdateConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: "conn-1", Params: update})
				return result{v, err}
			},
			sa: func() result {
				v, err := client.ConnectionsUpdate(bg, c, client.UpdateConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: "conn-1", Params: update})
				return result{v, err}
			},
			wantMethod: "PATCH", want: "/v1/projects/my-project/connections/conn-1",
			wantBody: `{"connection":{"providerWorkspaceRef":"acme"},"updateMask":["providerWorkspaceRef"]}`,
		},
		{
			name: "OAuthConnect",
			method: func() result {
				v, err := c.OAuth.Connect(bg, client.OAuthConnectRequest{Params: oauthParams})
				return result{v, err}
			},
			sa: func() result {
				v, err := client.OAuthConnect(bg, c, client.OAuthConnectRequest{Params: oauthParams})
				return result{v, err}
			},
			wantMethod: "POST", want: "/v1/oauth-connect",
			wantBody: `{"consumerRef":"user-1","groupRef":"group-123","projectIdOrName":"my-project","provider":"salesforce","providerWorkspaceRef":"acme"}`,
		},
		{
			name: "OAuthUpdate",
			method: func() result {
				v, err := c.OAuth.Update(bg, client.OAuthUpdateRequest{ProjectIDOrName: "my-project", ConnectionID: "conn 1"})
				return result{v, err}
			},
			sa: func() result {
				v, err := client.OAuthUpdate(bg, c, client.OAuthUpdateRequest{ProjectIDOrName: "my-project", ConnectionID: "conn 1"})
				return result{v, err}
			},
			wantMethod: "PATCH", want: "/v1/projects/my-project/connections/conn%201:oauth-update",
		},
		{
			name: "CustomAuthConnect",
			method: func() result {
				v, err := c.Connections.CustomAuthConnect(bg, client.CustomAuthConnectRequest{Params: customParams})
				return result{v, err}
			},
			sa: func() result {
				v, err := client.ConnectionsCustomAuthConnect(bg, c, client.CustomAuthConnectRequest{Params: customParams})
				return result{v, err}
			},
			wantMethod: "POST", want: "/v1/custom-auth/connect",
			wantBody: `{"consumerRef":"user-1","customAuth":{"password":"hunter2"},"groupRef":"group-123","projectIdOrName":"my-project","provider":"bill"}`,
		},
		{
			name: "Delete",
			method: func() result {
				return result{nil, c.Connections.Delete(bg, client.DeleteConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: "conn-1"})}
			},
			sa: func() result {
				return result{nil, client.ConnectionsDelete(bg, c, client.DeleteConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: "conn-1"})}
			},
			wantMethod: "DELETE", want: "/v1/projects/my-project/connections/conn-1",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(api.requests())
			m, s := tc.method(), tc.sa()
			if m.err != nil || s.err != nil {
				t.Fatalf("method: %v, standalone: %v", m.err, s.err)
			}
			if !reflect.DeepEqual(m.v, s.v) {
				t.Errorf("method and standalone results differ:\n%+v\n%+v", m.v, s.v)
			}
			reqs := api.requests()[before:]
			if len(reqs) != 2 {
				t.Fatalf("%d requests, want 2", len(reqs))
			}
			a, b := reqs[0], reqs[1]
			a.Header.Del("Content-Length")
			b.Header.Del("Content-Length")
			if !reflect.DeepEqual(a, b) {
				t.Errorf("method and standalone sent different requests:\n%+v\n%+v", a, b)
			}
			if a.Method != tc.wantMethod || a.RequestURI != tc.want {
				t.Errorf("sent %s %s, want %s %s", a.Method, a.RequestURI, tc.wantMethod, tc.want)
			}
			if a.Header.Get("X-Api-Key") != testKey {
				t.Errorf("X-Api-Key = %q", a.Header.Get("X-Api-Key"))
			}
			if ua := a.Header.Get("User-Agent"); !strings.HasPrefix(ua, "ampersand-go/"+client.Version+" (go") {
				t.Errorf("User-Agent = %q", ua)
			}
			if tc.wantBody != "" {
				if a.Header.Get("Content-Type") != "application/json" {
					t.Errorf("Content-Type = %q", a.Header.Get("Content-Type"))
				}
				if got := canonicalJSON(t, a.Body); got != tc.wantBody {
					t.Errorf("body = %s, want %s", got, tc.wantBody)
				}
			} else if a.Body != "" {
				t.Errorf("unexpected body %q", a.Body)
			}
		})
	}

	conns, err := c.Connections.List(bg, client.ListConnectionsRequest{ProjectIDOrName: "p"})
	if err != nil || len(conns) != 1 || conns[0].ID != "conn-1" || conns[0].AuthScheme != gen.AuthSchemeOAuth2AuthorizationCode ||
		conns[0].Group.GroupRef != "g" || conns[0].CreateTime.Nanosecond() != 123456000 {
		t.Errorf("decoded list: %+v, %v", conns, err)
	}
}

func canonicalJSON(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// An empty list is [], never nil; empty filters send nothing. A null body is not a list: the spec says array.
func TestListEmpty(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		reply(w, 200, "application/json", map[bool]string{true: "[]", false: "null"}[n == 1])
	})
	c := api.newClient(t)
	got, err := c.Connections.List(bg, client.ListConnectionsRequest{ProjectIDOrName: "p"})
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("got %#v, %v", got, err)
	}
	if uri := api.requests()[0].RequestURI; uri != "/v1/projects/p/connections" {
		t.Errorf("sent %s", uri)
	}
	var decErr *client.DecodeError
	if got, err := c.Connections.List(bg, client.ListConnectionsRequest{ProjectIDOrName: "p"}); !errors.As(err, &decErr) || got != nil {
		t.Fatalf("a null list: got %#v, %v; want a DecodeError", got, err)
	}
}

// Hostile IDs reach the server byte-exact as one path segment.
func TestHostileIDsArriveExactly(t *testing.T) {
	api := newFakeAPI(t, okHandler)
	c := api.newClient(t)
	for _, id := range []string{"a/b", "a?b=c", "a#b", "a b", "100%", "..a", "a..", "ünï码", "a;b,c", "a%2Fb", "...", "a\u00a0b", strings.Repeat("x", 10<<10)} {
		if _, err := c.Connections.Get(bg, client.GetConnectionRequest{ProjectIDOrName: id, ConnectionID: id}); err != nil {
			t.Fatalf("%q: %v", id, err)
		}
		reqs := api.requests()
		uri := reqs[len(reqs)-1].RequestURI
		rest, ok := strings.CutPrefix(uri, "/v1/projects/")
		if !ok {
			t.Fatalf("%q: sent %s", id, uri)
		}
		segs := strings.Split(rest, "/")
		if len(segs) != 3 || segs[1] != "connections" {
			t.Fatalf("%q: sent %s: not one segment per ID", id, uri)
		}
		for _, seg := range []string{segs[0], segs[2]} {
			got, err := unescapePath(seg)
			if err != nil || got != id {
				t.Errorf("%q arrived as %q (%q)", id, got, seg)
			}
		}
	}
}

// Bad input is refused with a *ValidationError before any I/O.
func TestValidationBeforeIO(t *testing.T) {
	api := newFakeAPI(t, okHandler)
	c := api.newClient(t)
	ok := client.GenerateConnectionParams{Provider: "p", GroupRef: "g", ConsumerRef: "c"}
	cases := []struct {
		name  string
		call  func() error
		field string
	}{
		{"empty project", func() error { _, err := c.Connections.List(bg, client.ListConnectionsRequest{}); return err }, "ProjectIDOrName"},
		{"dot project", func() error {
			_, err := c.Connections.Get(bg, client.GetConnectionRequest{ProjectIDOrName: ".", ConnectionID: "x"})
			return err
		}, "ProjectIDOrName"},
		{"dot-dot connection", func() error {
			return c.Connections.Delete(bg, client.DeleteConnectionRequest{ProjectIDOrName: "p", ConnectionID: ".."})
		}, "ConnectionID"},
		{"empty connection", func() error {
			_, err := c.Connections.Update(bg, client.UpdateConnectionRequest{ProjectIDOrName: "p"})
			return err
		}, "ConnectionID"},
		{"generate without provider", func() error {
			p := ok
			p.Provider = ""
			_, err := c.Connections.Generate(bg, client.GenerateConnectionRequest{ProjectIDOrName: "p", Params: p})
			return err
		}, "Params.Provider"},
		{"generate without groupRef", func() error {
			p := ok
			p.GroupRef = ""
			_, err := c.Connections.Generate(bg, client.GenerateConnectionRequest{ProjectIDOrName: "p", Params: p})
			return err
		}, "Params.GroupRef"},
		{"generate without consumerRef", func() error {
			p := ok
			p.ConsumerRef = ""
			_, err := c.Connections.Generate(bg, client.GenerateConnectionRequest{ProjectIDOrName: "p", Params: p})
			return err
		}, "Params.ConsumerRef"},
		{"update with empty mask", func() error {
			_, err := c.Connections.Update(bg, client.UpdateConnectionRequest{ProjectIDOrName: "p", ConnectionID: "x"})
			return err
		}, "Params.UpdateMask"},
		{"update mask naming an unset value", func() error {
			_, err := c.Connections.Update(bg, client.UpdateConnectionRequest{ProjectIDOrName: "p", ConnectionID: "x",
				Params: client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{gen.UpdateMaskFieldAPIKey}}})
			return err
		}, "Params.Connection.apiKey"},
		{"update mask with an unknown field", func() error {
			_, err := c.Connections.Update(bg, client.UpdateConnectionRequest{ProjectIDOrName: "p", ConnectionID: "x",
				Params: client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{"name"}}})
			return err
		}, "Params.UpdateMask[0]"},
		{"unknown refresh mode", func() error {
			_, err := c.Connections.Get(bg, client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "x", Refresh: "sometimes"})
			return err
		}, "Refresh"},
		{"control character", func() error {
			_, err := c.Connections.Get(bg, client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "a\nb"})
			return err
		}, "ConnectionID"},
		{"DEL character", func() error {
			_, err := c.Connections.List(bg, client.ListConnectionsRequest{ProjectIDOrName: "p\x7f"})
			return err
		}, "ProjectIDOrName"},
		{"invalid UTF-8", func() error {
			_, err := c.Connections.Get(bg, client.GetConnectionRequest{ProjectIDOrName: "\xff\xfe", ConnectionID: "x"})
			return err
		}, "ProjectIDOrName"},
		{"nil context", func() error {
			//lint:ignore SA1012 testing the nil-context guard
			_, err := c.Connections.List(nil, client.ListConnectionsRequest{ProjectIDOrName: "p"})
			return err
		}, "ctx"},
		{"nil client", func() error {
			_, err := client.ConnectionsList(bg, nil, client.ListConnectionsRequest{ProjectIDOrName: "p"})
			return err
		}, "Client"},
		{"zero Client", func() error {
			_, err := client.ConnectionsList(bg, &client.Client{}, client.ListConnectionsRequest{ProjectIDOrName: "p"})
			return err
		}, "Client"},
		{"bad per-call option", func() error {
			_, err := c.Connections.List(bg, client.ListConnectionsRequest{ProjectIDOrName: "p"}, client.WithTimeout(-1))
			return err
		}, "Timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ve *client.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field || ve.Reason == "" {
				t.Fatalf("err = %#v, want *ValidationError for %s", err, tc.field)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("message %q does not name %s", err, tc.field)
			}
		})
	}
	if n := len(api.requests()); n != 0 {
		t.Errorf("%d requests were sent for invalid input", n)
	}
}

// Every mask value the spec defines names a field of ConnectionRequest (MaskedField's one rule), and an
// update that sets it passes the client's checks: no value the spec allows is refused.
func TestEveryMaskValueIsAccepted(t *testing.T) {
	api := newFakeAPI(t, okHandler)
	c := api.newClient(t)
	for _, f := range client.UpdateMaskFieldValues() {
		var req client.ConnectionRequest
		p, ok := client.MaskedField(&req, f)
		if !ok {
			t.Errorf("%s names no field of ConnectionRequest", f)
			continue
		}
		fill(reflect.ValueOf(p).Elem())
		_, err := c.Connections.Update(bg, client.UpdateConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c",
			Params: client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{f}, Connection: req}})
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
		var empty client.ConnectionRequest
		_, err = c.Connections.Update(bg, client.UpdateConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c",
			Params: client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{f}, Connection: empty}})
		if !errors.As(err, new(*client.ValidationError)) {
			t.Errorf("%s named but unset: err = %v, want a ValidationError", f, err)
		}
	}
	if _, ok := client.MaskedField(new(client.ConnectionRequest), "noSuchField"); ok {
		t.Error("a name without a field gave a field")
	}
}

// fill gives v (a model value) a non-zero value: strings "x", structs every string field, maps one entry.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e)
		m.SetMapIndex(reflect.ValueOf("k").Convert(v.Type().Key()), e)
		v.Set(m)
	}
}
