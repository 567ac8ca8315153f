package client_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// redirector answers 307 to target+path for the first request, then behaves like okHandler.
func redirector(target func() string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			http.Redirect(w, r, target()+"/v1/projects/p/connections/conn-1", http.StatusTemporaryRedirect)
			return
		}
		okHandler(w, r, n)
	}
}

func TestRedirectToAnotherOriginLosesTheKey(t *testing.T) {
	other := newFakeAPI(t, okHandler) // another port: another origin
	allow := func(*http.Request, []*http.Request) error { return nil }
	cases := []struct {
		name              string
		clientOpts, calls []client.Option
	}{
		{"default client", nil, nil},
		{"caller's client", []client.Option{client.WithHTTPClient(&http.Client{})}, nil},
		{"caller's client with its own policy", []client.Option{client.WithHTTPClient(&http.Client{CheckRedirect: allow})}, nil},
		{"per-call client", nil, []client.Option{client.WithHTTPClient(&http.Client{})}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t, redirector(func() string { return other.srv.URL }))
			before := len(other.requests())
			if _, err := api.newClient(t, tc.clientOpts...).Connections.Get(bg, getReq(), tc.calls...); err != nil {
				t.Fatal(err)
			}
			got := other.requests()[before:]
			if len(got) != 1 {
				t.Fatalf("the redirect was not followed: %d requests", len(got))
			}
			if k := got[0].Header.Get("X-Api-Key"); k != "" {
				t.Errorf("the API key reached another origin: %q", k)
			}
		})
	}
}

func TestSameOriginRedirectKeepsTheKey(t *testing.T) {
	var api *fakeAPI
	api = newFakeAPI(t, redirector(func() string { return api.srv.URL }))
	if _, err := api.newClient(t).Connections.Get(bg, getReq()); err != nil {
		t.Fatal(err)
	}
	reqs := api.requests()
	if len(reqs) != 2 || reqs[1].Header.Get("X-Api-Key") != testKey {
		t.Fatalf("same-origin hop lost the key: %+v", reqs)
	}
}

func TestCallersHTTPClientIsNotModified(t *testing.T) {
	var policyRuns int
	policy := func(*http.Request, []*http.Request) error { policyRuns++; return nil }
	hc := &http.Client{CheckRedirect: policy}
	other := newFakeAPI(t, okHandler)
	api := newFakeAPI(t, redirector(func() string { return other.srv.URL }))
	if _, err := api.newClient(t, client.WithHTTPClient(hc)).Connections.Get(bg, getReq()); err != nil {
		t.Fatal(err)
	}
	if policyRuns != 1 {
		t.Errorf("the caller's redirect policy ran %d times, want 1", policyRuns)
	}
	if reflect.ValueOf(hc.CheckRedirect).Pointer() != reflect.ValueOf(policy).Pointer() || hc.Transport != nil || hc.Jar != nil || hc.Timeout != 0 {
		t.Errorf("caller's client modified: %+v", hc)
	}
}

func TestCleartextKeyOnlyToLoopback(t *testing.T) {
	for _, u := range []string{"http://api.example.com/v1", "http://10.0.0.8:8080/v1", "http://localhost.example.com/v1",
		"http://api.localhost/v1", "http://LOCALHOST/v1", "http://localhost./v1"} { // net/http would send these to HTTP_PROXY
		_, err := client.New(client.WithAPIKey(testKey), client.WithServerURL(u))
		var ve *client.ValidationError
		if !errors.As(err, &ve) || ve.Field != "ServerURL" {
			t.Errorf("%s: err = %v", u, err)
		}
		if _, err := client.New(client.WithAPIKey(testKey), client.WithServerURL(u), client.WithInsecureHTTP()); err != nil {
			t.Errorf("%s with WithInsecureHTTP: %v", u, err)
		}
	}
	for _, u := range []string{"http://localhost:8080/v1", "http://127.0.0.1/v1", "http://127.9.9.9:1/v1", "http://[::1]:9/v1", "https://api.example.com/v1"} {
		if _, err := client.New(client.WithAPIKey(testKey), client.WithServerURL(u)); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"api.withampersand.com/v1", "ftp://x/v1", "https:///v1", "https://u:p@x/v1", "https://x/v1?a=b", "https://x/v1#f", ":"} {
		if _, err := client.New(client.WithAPIKey(testKey), client.WithServerURL(u)); !errors.As(err, new(*client.ValidationError)) {
			t.Errorf("%q accepted: %v", u, err)
		}
	}
	api := newFakeAPI(t, okHandler)
	c := api.newClient(t)
	_, err := c.Connections.Get(bg, getReq(), client.WithServerURL("http://api.example.com/v1"))
	if !errors.As(err, new(*client.ValidationError)) || len(api.requests()) != 0 {
		t.Errorf("per-call cleartext server: %v", err)
	}
}

// The server URL's sources, in order: a call's option, the client's option, AMPERSAND_SERVER_URL, the
// default. WithServerURL("") is "not set", so WithServerURL(os.Getenv(…)) is safe.
func TestServerURLPrecedence(t *testing.T) {
	env, client1, call := newFakeAPI(t, okHandler), newFakeAPI(t, okHandler), newFakeAPI(t, okHandler)
	for _, tc := range []struct {
		name           string
		env            string
		clientOpt, opt string
		want           *fakeAPI // nil: the default server
	}{
		{"default", "", "", "", nil},
		{"environment", env.URL(), "", "", env},
		{"client option over environment", env.URL(), client1.URL(), "", client1},
		{"call option over client option", env.URL(), client1.URL(), call.URL(), call},
		{"empty options are not set", env.URL(), "", "", env},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AMPERSAND_SERVER_URL", tc.env)
			c, err := client.New(client.WithAPIKey(testKey), client.WithServerURL(tc.clientOpt), client.WithoutRetries())
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil {
				if !strings.Contains(c.String(), client.DefaultServerURL) {
					t.Errorf("client %v, want the default server", c)
				}
				return
			}
			before := len(tc.want.requests())
			if _, err := c.Connections.Get(bg, getReq(), client.WithServerURL(tc.opt)); err != nil {
				t.Fatal(err)
			}
			if len(tc.want.requests()) != before+1 {
				t.Errorf("the request did not reach %s", tc.want.URL())
			}
		})
	}
	t.Setenv("AMPERSAND_SERVER_URL", "ftp://nope")
	_, err := client.New(client.WithAPIKey(testKey))
	if !errors.As(err, new(*client.ValidationError)) || !strings.Contains(err.Error(), "AMPERSAND_SERVER_URL") {
		t.Errorf("an invalid AMPERSAND_SERVER_URL: err = %v, want a ValidationError naming it", err)
	}
	if _, err := client.New(client.WithAPIKey(testKey), client.WithServerURL(call.URL())); err != nil {
		t.Errorf("WithServerURL overrides an invalid AMPERSAND_SERVER_URL: %v", err)
	}
}

func TestAPIKeySources(t *testing.T) {
	t.Setenv("AMPERSAND_API_KEY", "")
	if _, err := client.New(); !errors.As(err, new(*client.ValidationError)) || !strings.Contains(err.Error(), "AMPERSAND_API_KEY") {
		t.Errorf("no key: %v", err)
	}
	api := newFakeAPI(t, okHandler)
	t.Setenv("AMPERSAND_API_KEY", "env-key")
	c, err := client.New(client.WithServerURL(api.URL()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connections.Get(bg, getReq()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connections.Get(bg, getReq(), client.WithAPIKey("call-key")); err != nil {
		t.Fatal(err)
	}
	reqs := api.requests()
	if reqs[0].Header.Get("X-Api-Key") != "env-key" || reqs[1].Header.Get("X-Api-Key") != "call-key" {
		t.Errorf("keys sent: %q, %q", reqs[0].Header.Get("X-Api-Key"), reqs[1].Header.Get("X-Api-Key"))
	}
	for _, bad := range []string{" ", "a\nb"} {
		if _, err := client.New(client.WithAPIKey(bad)); !errors.As(err, new(*client.ValidationError)) {
			t.Errorf("key %q accepted", bad)
		}
	}
	if _, err := client.New(client.WithAPIKey("k"), client.WithHeader("X-API-KEY", "other")); !errors.As(err, new(*client.ValidationError)) {
		t.Error("WithHeader must not set the key")
	}
}

// The key never appears in a log line or an error string, even when the server echoes it.
func TestKeyNeverLoggedOrInErrors(t *testing.T) {
	api := newFakeAPI(t, sequence(
		withBody(503, `{"title":"Service Unavailable","detail":"key `+testKey+` is throttled"}`),
		withBody(400, `{"title":"Bad Request","detail":"bad key `+testKey+`","requestId":"`+testKey+`"}`)))
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err := api.newClient(t, client.WithLogger(logger)).Connections.Get(bg, getReq())
	if err == nil {
		t.Fatal("want an error")
	}
	for _, s := range []string{err.Error(), logs.String()} {
		if strings.Contains(s, testKey) {
			t.Errorf("the key leaked:\n%s", s)
		}
	}
	if !strings.Contains(logs.String(), `"X-Api-Key":"[REDACTED]"`) || !strings.Contains(logs.String(), "ampersand retry") {
		t.Errorf("log lacks the redacted header or the retry:\n%s", logs.String())
	}
}

// Per-call options override the client's for that call only.
func TestPerCallOptionsDoNotLeak(t *testing.T) {
	api := newFakeAPI(t, okHandler)
	c := api.newClient(t, client.WithHeader("X-Client", "1"))
	if _, err := c.Connections.Get(bg, getReq(), client.WithHeader("X-Call", "2"), client.WithHeader("X-Client", "override"), client.WithAPIKey("call-key")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connections.Get(bg, getReq()); err != nil {
		t.Fatal(err)
	}
	reqs := api.requests()
	if reqs[0].Header.Get("X-Call") != "2" || reqs[0].Header.Get("X-Client") != "override" || reqs[0].Header.Get("X-Api-Key") != "call-key" {
		t.Errorf("call options not applied: %v", reqs[0].Header)
	}
	if reqs[1].Header.Get("X-Call") != "" || reqs[1].Header.Get("X-Client") != "1" || reqs[1].Header.Get("X-Api-Key") != testKey {
		t.Errorf("call options leaked into the next call: %v", reqs[1].Header)
	}
}

// A success body that echoes the key and fails to decode, at a member named by the key, gives a *DecodeError
// none of whose fields holds the key: not Body, not Pointer, not Err (whose message quotes the pointer).
func TestDecodeErrorNeverHoldsTheKey(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		reply(w, 200, "application/json", `{"id":"conn-1","`+testKey+`": tru}`)
	})
	_, err := api.newClient(t).Connections.Get(bg, getReq())
	var decErr *client.DecodeError
	if !errors.As(err, &decErr) {
		t.Fatalf("%v; want a *DecodeError", err)
	}
	for name, s := range map[string]string{"Body": string(decErr.Body), "Pointer": decErr.Pointer,
		"Err": decErr.Err.Error(), "Error()": decErr.Error()} {
		if strings.Contains(s, testKey) {
			t.Errorf("DecodeError.%s holds the key: %s", name, s)
		}
	}
	if !strings.Contains(string(decErr.Body), `"[REDACTED]": tru`) || decErr.Pointer != "/[REDACTED]" {
		t.Errorf("Body %q, Pointer %q; want the body and the pointer with the key redacted", decErr.Body, decErr.Pointer)
	}
}

// A redirect that the caller's own policy stops is returned as an *APIError that does not claim the SDK
// refused it: the SDK refuses only a request with a body, to another origin.
func TestRedirectStoppedByTheCallersPolicyIsNotCalledRefused(t *testing.T) {
	other := newFakeAPI(t, okHandler)
	stop := client.WithHTTPClient(&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }})
	for name, tc := range map[string]struct {
		target string
		call   func(c *client.Client) error
	}{
		"a request without a body, to another origin": {other.srv.URL, func(c *client.Client) error {
			_, err := c.Connections.Get(bg, getReq())
			return err
		}},
		"a request with a body, to the same origin": {"", func(c *client.Client) error {
			_, err := c.Connections.Generate(bg, genReq)
			return err
		}},
	} {
		api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			w.Header().Set("Location", cmp.Or(tc.target, "http://"+r.Host)+"/v1/elsewhere")
			w.WriteHeader(http.StatusTemporaryRedirect)
		})
		err := tc.call(api.newClient(t, stop))
		var apiErr *client.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTemporaryRedirect || strings.Contains(err.Error(), "not following") {
			t.Errorf("%s: %v; want a 307 *APIError that does not say the SDK refused it", name, err)
		}
	}
}

// net/http replays a 307's body from the request's GetBody: a request whose GetBody is set is one with a body,
// kept from other origins, even when a request editor emptied its Body.
func TestBodyReplayedFromGetBodyNeverGoesToAnotherOrigin(t *testing.T) {
	other := newFakeAPI(t, okHandler)
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, other.srv.URL+"/v1/projects/p/connections:generate", http.StatusTemporaryRedirect)
	})
	empty := client.WithRequestEditor(func(_ context.Context, r *http.Request) error {
		r.Body, r.ContentLength = http.NoBody, 0
		return nil
	})
	_, err := api.newClient(t, client.WithoutRetries()).Connections.Generate(bg, genReq, empty)
	for _, r := range other.requests() {
		if r.Body != "" {
			t.Fatalf("another origin received the body %q (err %v)", r.Body, err)
		}
	}
	if len(other.requests()) != 0 {
		t.Errorf("the redirect was followed: %v", err)
	}
}
