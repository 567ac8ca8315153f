package amptest

import (
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

func TestRecorder(t *testing.T) {
	clock := newManualClock()
	h := newHarness(t, WithClock(clock.Now))
	odd := "a/b?c#d e ü"
	h.srv.InjectFault(OpGetConnection, Fault{Status: 503})
	h.send(http.MethodPost, generatePath(odd), apiKeyParams("r"), withHeaderValue("X-Trace", "t1"))
	h.send(http.MethodGet, connectionPath(odd, odd)+"?includeCreds=true&x=%20y", nil)
	h.send(http.MethodGet, connectionsPath("p"), nil, withHeaderValue("X-Api-Key", "wrong"))
	h.send(http.MethodGet, connectionsPath("p")+"?refresh=x", nil, withoutHeader("X-Api-Key"))

	got := h.srv.Requests()
	if len(got) != 4 {
		t.Fatalf("%d requests recorded, want 4", len(got))
	}
	escaped := "a%2Fb%3Fc%23d%20e%20%C3%BC"
	want := []Request{
		{Operation: OpGenerateConnection, Method: "POST", Path: "/v1/projects/" + escaped + "/connections:generate"},
		{Operation: OpGetConnection, Method: "GET", Path: "/v1/projects/" + escaped + "/connections/" + escaped,
			RawQuery: "includeCreds=true&x=%20y"},
		{Operation: OpListConnections, Method: "GET", Path: "/v1/projects/p/connections"},
		{Operation: OpListConnections, Method: "GET", Path: "/v1/projects/p/connections", RawQuery: "refresh=x"},
	}
	for i, r := range got {
		w := want[i]
		if r.Operation != w.Operation || r.Method != w.Method || r.Path != w.Path || r.RawQuery != w.RawQuery ||
			!r.Time.Equal(clock.Now()) {
			t.Errorf("request %d = %+v, want %+v", i, r, w)
		}
	}
	if key := got[0].Header.Get("X-Api-Key"); key != Redacted || got[0].Header.Get("X-Trace") != "t1" {
		t.Errorf("headers %v", got[0].Header)
	}
	if key := got[2].Header.Get("X-Api-Key"); key != Redacted {
		t.Errorf("a wrong key was recorded as %q", key)
	}
	if _, present := got[3].Header["X-Api-Key"]; present {
		t.Errorf("a missing key was recorded: %v", got[3].Header)
	}
	if !strings.Contains(string(got[0].Body), `"apiKey":"key-r"`) || len(got[1].Body) != 0 {
		t.Errorf("bodies %q, %q", got[0].Body, got[1].Body)
	}
	if q := got[1].Query; q.Get("includeCreds") != "true" || q.Get("x") != " y" {
		t.Errorf("query %v", q)
	}
	// The project named with every awkward character is one project, addressable by that name.
	if p, ok := h.srv.Project(odd); !ok || p.Name != odd || len(h.srv.Connections(p.ID)) != 1 {
		t.Errorf("project %+v, %v", p, ok)
	}

	// Requests returns copies.
	got[0].Body[0], got[0].Header["X-Trace"][0] = 'X', "changed"
	if again := h.srv.Requests(); again[0].Body[0] == 'X' || again[0].Header.Get("X-Trace") != "t1" {
		t.Error("Requests shares memory with the recorder")
	}
	h.srv.ResetRequests()
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("%d requests after ResetRequests", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	h := newHarness(t)
	const workers = 32
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			ref := fmt.Sprint(i % 4) // groups and consumers shared between workers
			c := h.generate("shared", apiKeyParams(ref))
			expectJSON[[]client.Connection](t, h.send(http.MethodGet, connectionsPath("shared")+"?groupRef=group-"+ref, nil), http.StatusOK)
			got := expectJSON[client.Connection](t, h.send(http.MethodGet, connectionPath("shared", c.ID)+"?includeCreds=true", nil), http.StatusOK)
			if got.ID != c.ID || got.APIKey != "key-"+ref {
				t.Errorf("get returned %+v for %s", got, c.ID)
			}
			h.srv.InjectFault(OpDeleteConnection, Fault{Status: 503})
			_ = h.srv.Requests()
		})
	}
	wg.Wait()
	conns := h.srv.Connections("shared")
	ids := map[string]bool{}
	groups := map[string]client.Group{}
	for _, c := range conns {
		ids[c.ID] = true
		if g, seen := groups[c.Group.GroupRef]; seen && g != c.Group {
			t.Errorf("group %s stored twice: %+v and %+v", c.Group.GroupRef, g, c.Group)
		}
		groups[c.Group.GroupRef] = c.Group
	}
	if len(conns) != workers || len(ids) != workers || len(groups) != 4 {
		t.Errorf("%d connections, %d distinct IDs, %d groups; want %d, %d, 4", len(conns), len(ids), len(groups), workers, workers)
	}
	if n := len(h.srv.Requests()); n != 3*workers {
		t.Errorf("%d requests recorded, want %d", n, 3*workers)
	}
}

func TestParallelServers(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.generate("p", apiKeyParams("x"))
			if n := len(h.srv.Connections("p")); n != 1 {
				t.Errorf("%d connections, want 1: servers share state", n)
			}
		})
	}
}

func TestProjects(t *testing.T) {
	h := newHarness(t, WithProject(Project{ID: "id-1", Name: "named"}), WithProject(Project{Name: "no-id"}))
	a := h.generate("named", apiKeyParams("a"))
	b := h.generate("id-1", apiKeyParams("b"))
	if a.ProjectID != "id-1" || b.ProjectID != "id-1" || a.Group.ProjectID != "id-1" || a.Consumer.ProjectID != "id-1" {
		t.Errorf("project IDs %q %q %q %q", a.ProjectID, b.ProjectID, a.Group.ProjectID, a.Consumer.ProjectID)
	}
	if p, ok := h.srv.Project("no-id"); !ok || len(p.ID) != 36 {
		t.Errorf("declared project without ID: %+v %v", p, ok)
	}
	fresh := h.generate("fresh", apiKeyParams("c"))
	p, ok := h.srv.Project("fresh")
	if !ok || p.Name != "fresh" || fresh.ProjectID != p.ID {
		t.Errorf("project made on first use: %+v %v, connection's %q", p, ok, fresh.ProjectID)
	}
	if list := expectJSON[[]client.Connection](t, h.send(http.MethodGet, connectionsPath(p.ID), nil), http.StatusOK); len(list) != 1 {
		t.Errorf("listing by generated ID: %d connections", len(list))
	}
	if _, ok := h.srv.Project("never"); ok || len(h.srv.Connections("never")) != 0 {
		t.Error("an unknown project exists")
	}
	if _, ok := h.srv.Project("never"); ok {
		t.Error("Connections created the project")
	}
}

func TestNewServerRejectsBadOptions(t *testing.T) {
	cases := []struct {
		opts []Option
		want string
	}{
		{[]Option{WithAPIKey("")}, "WithAPIKey"},
		{[]Option{WithClock(nil)}, "WithClock"},
		{[]Option{WithProject(Project{})}, "needs an ID or a name"},
		{[]Option{WithProject(Project{ID: "x"}), WithProject(Project{Name: "x"})}, `"x" is used twice`},
	}
	for _, tc := range cases {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.Contains(msg, tc.want) {
					t.Errorf("NewServer panicked with %q, want %q", msg, tc.want)
				}
			}()
			NewServer(tc.opts...).Close()
		}()
	}
}

func TestSeedConnection(t *testing.T) {
	h := newHarness(t)
	code := client.OAuth2AuthorizationCode{RefreshToken: client.OAuth2Token{Token: "r"}, Scopes: []string{"api"}}
	seeded, err := h.srv.SeedConnection("p", client.GenerateConnectionParams{
		Provider: "salesforce", GroupRef: "g", ConsumerRef: "c", OAuth2AuthorizationCode: code})
	if err != nil {
		t.Fatal(err)
	}
	if seeded.AuthScheme != client.AuthSchemeOAuth2AuthorizationCode || seeded.OAuth2AuthorizationCode.RefreshToken.Token != "r" ||
		seeded.OAuth2AuthorizationCode.AccessToken.Token == "" {
		t.Errorf("seeded %+v", seeded)
	}
	got := expectJSON[client.Connection](t, h.send(http.MethodGet, connectionPath("p", seeded.ID)+"?includeRefreshToken=true", nil), http.StatusOK)
	if !reflect.DeepEqual(got, seeded) {
		t.Errorf("get after seed\n%+v\nwant\n%+v", got, seeded)
	}
	// The caller's values are copied.
	code.Scopes[0] = "changed"
	if c, _ := h.srv.Connection("p", seeded.ID); c.OAuth2AuthorizationCode.Scopes[0] != "api" {
		t.Error("the stored connection shares the caller's scopes")
	}
	if len(h.srv.Requests()) != 1 {
		t.Error("SeedConnection was recorded as a request")
	}

	for _, tc := range []struct {
		project string
		params  client.GenerateConnectionParams
		want    []string
	}{
		{"", apiKeyParams("x"), []string{"project"}},
		{"p", client.GenerateConnectionParams{GroupRef: "g"}, []string{"provider", "consumerRef"}},
		{"p", client.GenerateConnectionParams{Provider: "x", GroupRef: "g", ConsumerRef: "c", APIKey: "k",
			OAuth2ClientCredentials: client.OAuth2ClientCredentials{ClientID: "i"}}, []string{"apiKey", "oauth2ClientCredentials"}},
		{"p", client.GenerateConnectionParams{Provider: "x", GroupRef: "g", ConsumerRef: "c", OAuth2AuthorizationCode: client.OAuth2AuthorizationCode{
			AccessToken: client.OAuth2Token{ExpiresAt: time.Now()}}}, []string{"accessToken.token"}},
	} {
		_, err := h.srv.SeedConnection(tc.project, tc.params)
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("SeedConnection(%q, %+v) = %v, want an error naming %s", tc.project, tc.params, err, w)
			}
		}
	}
	if n := len(h.srv.Connections("p")); n != 1 {
		t.Errorf("failed seeds stored connections: %d", n)
	}
}

func TestWithListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(WithListener(l))
	defer srv.Close()
	if want := "http://" + l.Addr().String() + "/v1"; srv.URL != want {
		t.Fatalf("URL = %s, want %s", srv.URL, want)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/projects/p/connections", nil)
	req.Header.Set("X-Api-Key", srv.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
}
