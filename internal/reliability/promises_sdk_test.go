package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// The SDK promises of issue 19 (items 1–8): each test fails on an SDK without the fix.

// keyProxy is a forward HTTP proxy on loopback that records the API keys it was sent and answers 502.
type keyProxy struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // "<absolute URL> key=<X-Api-Key>"
}

func newKeyProxy(t *testing.T) *keyProxy {
	p := &keyProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen = append(p.seen, fmt.Sprintf("%s key=%q", r.URL, r.Header.Get("X-Api-Key")))
		p.mu.Unlock()
		w.WriteHeader(http.StatusBadGateway)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *keyProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// Item 1. The key goes over plain http only on a connection straight to a loopback address, never through a
// proxy. net/http's ProxyFromEnvironment bypasses the proxy only for the exact name localhost and loopback
// IP literals, so http://api.localhost:P, http://LOCALHOST:P and http://localhost.:P would reach HTTP_PROXY
// with the key; an *http.Client whose transport has a Proxy of its own would send even http://127.0.0.1:P
// there. Each is refused with a *ValidationError, and the proxy (a real listener) receives nothing.
func TestKeyNeverGoesToAProxyInCleartext(t *testing.T) {
	if os.Getenv("AMP_TEST_PROXY_CHILD") != "" {
		proxiedByTheEnvironment(t)
		return
	}
	target := newRawServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(connJSON))
	})
	proxy := newKeyProxy(t)
	port := target.URL[strings.LastIndex(target.URL, ":")+1:]

	t.Run("HTTP_PROXY", func(t *testing.T) {
		// net/http reads the proxy variables once per process: the default client is tried in a child process
		// started with them.
		cmd := exec.Command(os.Args[0], "-test.run=^TestKeyNeverGoesToAProxyInCleartext$", "-test.v")
		cmd.Env = append(os.Environ(), "AMP_TEST_PROXY_CHILD="+port, "HTTP_PROXY="+proxy.URL, "http_proxy="+proxy.URL,
			"NO_PROXY=", "no_proxy=", "REQUEST_METHOD=")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestKeyNeverGoesToAProxyInCleartext") {
			t.Errorf("the child process failed (%v) or ran no test:\n%s", err, out)
		}
	})

	t.Run("the transport's own Proxy", func(t *testing.T) {
		pu, _ := url.Parse(proxy.URL)
		tr := &http.Transport{Proxy: http.ProxyURL(pu)}
		t.Cleanup(tr.CloseIdleConnections)
		for _, server := range []string{"http://127.0.0.1:" + port, "http://localhost:" + port} {
			hc := &http.Client{Transport: tr}
			_, err := client.New(client.WithServerURL(server+"/v1"), client.WithAPIKey(canary), client.WithHTTPClient(hc))
			var valErr *client.ValidationError
			if !errors.As(err, &valErr) || !strings.Contains(err.Error(), "proxy") {
				t.Errorf("New with %s through a proxy: err = %v, want a ValidationError naming the proxy", server, err)
			}
			// The same client configured without the proxy is allowed, and given per call, the proxy is refused
			// before any I/O.
			c, err := client.New(client.WithServerURL(server+"/v1"), client.WithAPIKey(canary))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"}, client.WithHTTPClient(hc))
			if !errors.As(err, &valErr) {
				t.Errorf("Get with %s through a per-call proxied client: err = %v, want a ValidationError", server, err)
			}
		}
	})
	for _, r := range proxy.requests() {
		if strings.Contains(r, canary) {
			t.Errorf("the proxy received the key: %s", r)
		}
	}
}

// proxiedByTheEnvironment is the child process of TestKeyNeverGoesToAProxyInCleartext: HTTP_PROXY is set.
func proxiedByTheEnvironment(t *testing.T) {
	port := os.Getenv("AMP_TEST_PROXY_CHILD")
	get := func(server string) error {
		c, err := client.New(client.WithServerURL(server+"/v1"), client.WithAPIKey(canary), client.WithoutRetries())
		if err != nil {
			return err
		}
		defer c.CloseIdleConnections()
		_, err = c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
		return err
	}
	for _, host := range []string{"api.localhost", "LOCALHOST", "localhost.", "Localhost"} {
		err := get("http://" + host + ":" + port)
		var valErr *client.ValidationError
		if !errors.As(err, &valErr) {
			t.Errorf("http://%s:%s with HTTP_PROXY set: err = %v, want a ValidationError before any I/O", host, port, err)
		}
	}
	// The names net/http never proxies connect straight to the server.
	for _, host := range []string{"localhost", "127.0.0.1"} { // the target listens on IPv4 only: not [::1]
		if err := get("http://" + host + ":" + port); err != nil {
			t.Errorf("http://%s:%s: %v, want a direct connection", host, port, err)
		}
	}
}

// Item 2. A key with surrounding whitespace is trimmed by net/http on the wire, so a server echoing the key
// it received echoes the trimmed key; the SDK sends, and redacts, exactly that. The environment variable is
// trimmed the same way.
func TestPaddedKeyIsRedactedToo(t *testing.T) {
	for _, key := range []string{" " + canary, canary + " ", "\t" + canary + "\t", " " + canary + "\t "} {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			c, _ := rawClient(t, echoEverythingServer(t), client.WithAPIKey(key))
			assertNoEchoedKey(t, c)
		})
	}
	t.Run("environment", func(t *testing.T) {
		t.Setenv("AMPERSAND_API_KEY", " "+canary+"\t")
		c, err := client.New(client.WithServerURL(echoEverythingServer(t).URL+"/v1"), client.WithHTTPClient(newCountingDoer(t)), client.WithoutRetries())
		if err != nil {
			t.Fatal(err)
		}
		assertNoEchoedKey(t, c)
	})
}

// Item 3. All checks the context, and the call's time bounds, before every connection it yields: after
// cancel() in the loop body, or once WithTimeout has passed, the loop gets no further connection — even when
// the rest of the list is already buffered — and ends with the context's error.
func TestAllStopsWhenTheCallerIsDone(t *testing.T) {
	list := "[" + strings.TrimSuffix(strings.Repeat(connJSON+",", 50), ",") + "]"
	ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(list))
	})
	req := client.ListConnectionsRequest{ProjectIDOrName: "p"}

	t.Run("cancel", func(t *testing.T) {
		c, _ := rawClient(t, ts)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n, last := 0, error(nil)
		for conn, err := range c.Connections.All(ctx, req) {
			if err != nil {
				last = err
				break
			}
			n++
			_ = conn
			cancel()
		}
		if n != 1 || !errors.Is(last, context.Canceled) {
			t.Errorf("after cancel() at the first connection: %d connections, then err = %v; want 1, then context.Canceled", n, last)
		}
	})

	t.Run("WithTimeout", func(t *testing.T) {
		const timeout = 500 * time.Millisecond // ample for the reply: the first connection comes well within it
		c, _ := rawClient(t, ts, client.WithTimeout(timeout))
		n, last := 0, error(nil)
		for _, err := range c.Connections.All(context.Background(), req) {
			if err != nil {
				last = err
				break
			}
			if n++; n > 1 {
				continue // a failure already: do not make it slow
			}
			time.Sleep(2 * timeout) // slow work: the attempt's time is up after the first connection
		}
		var connErr *client.ConnectionError
		if n != 1 || !errors.As(last, &connErr) || !connErr.Timeout || !errors.Is(last, context.DeadlineExceeded) {
			t.Errorf("with work longer than WithTimeout: %d connections, then err = %v; want 1, then a timed-out ConnectionError", n, last)
		}
	})
}

// Item 4. A panic (or runtime.Goexit, as t.FailNow does) in All's loop body still ends the call: CallEnd
// hooks run once — and with them ampotel's call span and duration metric — with an error; the panic goes on
// to the caller unchanged.
func TestAllLoopPanicEndsTheCall(t *testing.T) {
	f := newFake(t)
	var mu sync.Mutex
	var ends []error
	hooks := client.WithHooks(client.Hooks{CallEnd: func(_ context.Context, _ *client.Call, err error) {
		mu.Lock()
		ends = append(ends, err)
		mu.Unlock()
	}})
	check := func(t *testing.T, what string) {
		mu.Lock()
		defer mu.Unlock()
		if len(ends) != 1 || ends[0] == nil {
			t.Errorf("after a %s in the loop body, CallEnd ran with %v; want once, with an error", what, ends)
		}
		ends = nil
	}
	type boom struct{}

	t.Run("panic", func(t *testing.T) {
		got := func() (p any) {
			defer func() { p = recover() }()
			for range f.c.Connections.All(context.Background(), client.ListConnectionsRequest{ProjectIDOrName: project}, hooks) {
				panic(boom{})
			}
			return nil
		}()
		if _, ok := got.(boom); !ok {
			t.Errorf("recovered %v, want the loop body's own panic value", got)
		}
		check(t, "panic")
	})

	t.Run("Goexit", func(t *testing.T) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range f.c.Connections.All(context.Background(), client.ListConnectionsRequest{ProjectIDOrName: project}, hooks) {
				runtime.Goexit()
			}
		}()
		<-done
		check(t, "runtime.Goexit")
	})
}

// Item 5. A 2xx body that fails to decode returns at once: DecodeError.Body holds what had arrived, and the
// SDK does not wait for a server that trickles the rest (here one byte every 10 ms, for ever), for Get —
// with or without retries — and for All.
func TestMalformedSuccessNeverWaitsForTheTail(t *testing.T) {
	trickle := func(head string) *httptest.Server {
		return newRawServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(head))
			w.(http.Flusher).Flush()
			for {
				select {
				case <-release:
					return
				case <-r.Context().Done():
					return
				case <-time.After(10 * time.Millisecond):
				}
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		})
	}
	for _, tc := range []struct {
		name, head string
		call       func(c *client.Client) error
	}{
		{"get", `{"id":"a"]`, func(c *client.Client) error {
			_, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
			return err
		}},
		{"get with retries", `{"id":"a"]`, func(c *client.Client) error {
			_, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"},
				client.WithRetryConfig(fastRetries()))
			return err
		}},
		{"all", `[{"id":"a"]`, func(c *client.Client) error {
			for _, err := range c.Connections.All(context.Background(), client.ListConnectionsRequest{ProjectIDOrName: "p"}) {
				if err != nil {
					return err
				}
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := rawClient(t, trickle(tc.head))
			err := await(t, goCall(func() error { return tc.call(c) }))
			var decErr *client.DecodeError
			if !errors.As(err, &decErr) || !strings.HasPrefix(string(decErr.Body), tc.head) {
				t.Errorf("err = %v, want a DecodeError whose body starts with %q", err, tc.head)
			}
		})
	}
}

// Item 6. A custom auth reply holds exactly one of redirect and connection, decided by which keys are in the
// body: both present is a DecodeError even when one of them holds only empty or zero values. A null
// property counts as absent, as everywhere in the SDK's decoders. A connection without an id is a DecodeError.
func TestCustomAuthBothKeysIsADecodeError(t *testing.T) {
	const (
		redirect     = `{"url":"https://login.example/x","sessionId":"s"}`
		zeroRedirect = `{"url":"","sessionId":""}`
		zeroConn     = `{"id":"","projectId":"","provider":"","authScheme":"","status":"","createTime":"0001-01-01T00:00:00Z",` +
			`"group":{"groupRef":"","groupName":"","projectId":"","createTime":"0001-01-01T00:00:00Z"},` +
			`"consumer":{"consumerRef":"","consumerName":"","projectId":"","createTime":"0001-01-01T00:00:00Z"}}`
	)
	for _, tc := range []struct{ body, want string }{
		{`{"redirect":` + redirect + `,"connection":` + zeroConn + `}`, "DecodeError"},
		{`{"redirect":` + zeroRedirect + `,"connection":` + connJSON + `}`, "DecodeError"},
		{`{"redirect":` + zeroRedirect + `,"connection":` + zeroConn + `}`, "DecodeError"},
		{`{"connection":` + zeroConn + `}`, "DecodeError"},
		{`{"connection":` + strings.Replace(zeroConn, `"id":""`, `"id":"c"`, 1) + `}`, "connection"},
		{`{"redirect":` + redirect + `,"connection":null}`, "redirect"},
	} {
		ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(tc.body))
		})
		c, _ := rawClient(t, ts)
		res, err := c.Connections.CustomAuthConnect(context.Background(), client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
			ProjectIDOrName: "p", Provider: "bill", GroupRef: "g", ConsumerRef: "c"}})
		got := classify(err)
		if err == nil {
			got = map[bool]string{true: "redirect", false: "connection"}[res.Redirect != nil]
		}
		if got != tc.want {
			t.Errorf("%s: got %s (%v), want %s", tc.body, got, err, tc.want)
		}
	}
}

// Item 7. A custom auth input that JSON cannot encode (NaN, ±Inf, a channel, a function, a complex number,
// also nested) is a *ValidationError naming the input, before any I/O — for customAuthConnect and generate.
func TestUnencodableCustomAuthIsAValidationError(t *testing.T) {
	f := newFake(t)
	for name, v := range map[string]any{
		"NaN": math.NaN(), "+Inf": math.Inf(1), "-Inf": math.Inf(-1), "chan": make(chan int), "func": func() {},
		"complex": complex(1, 2), "nested": map[string]any{"scopes": []any{"a", math.NaN()}},
	} {
		inputs := map[string]any{"userName": "admin", "bad": v}
		_, err := f.c.Connections.CustomAuthConnect(context.Background(), client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
			ProjectIDOrName: project, Provider: "bill", GroupRef: "g", ConsumerRef: "c", CustomAuth: inputs}})
		var valErr *client.ValidationError
		if !errors.As(err, &valErr) || !strings.Contains(valErr.Field, "CustomAuth") || !strings.Contains(valErr.Field, "bad") {
			t.Errorf("custom auth %s: err = %v, want a ValidationError naming Params.CustomAuth[bad]", name, err)
		}
		_, err = f.c.Connections.Generate(context.Background(), client.GenerateConnectionRequest{ProjectIDOrName: project,
			Params: client.GenerateConnectionParams{Provider: "bill", GroupRef: "g", ConsumerRef: "c", CustomAuth: inputs}})
		if !errors.As(err, &valErr) || !strings.Contains(valErr.Field, "CustomAuth") || !strings.Contains(valErr.Field, "bad") {
			t.Errorf("generate %s: err = %v, want a ValidationError naming Params.CustomAuth[bad]", name, err)
		}
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("the server received %d requests, want none", n)
	}
}

// Item 8. An update mask entry whose value is an empty map (providerMetadata: {}) is unset — nothing of it
// would be sent — and is refused before any I/O, like any other unset value.
func TestUpdateMaskRefusesAnEmptyMap(t *testing.T) {
	f := newFake(t)
	_, err := f.c.Connections.Update(context.Background(), client.UpdateConnectionRequest{ProjectIDOrName: project, ConnectionID: f.seed.ID,
		Params: client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldProviderMetadata},
			Connection: client.ConnectionRequest{ProviderMetadata: client.ProviderMetadata{}}}})
	var valErr *client.ValidationError
	if !errors.As(err, &valErr) || valErr.Field != "Params.Connection.providerMetadata" {
		t.Errorf("err = %v, want a ValidationError naming Params.Connection.providerMetadata", err)
	}
	if n := f.requests(amptest.OpUpdateConnection); n != 0 {
		t.Errorf("the server received %d updates, want none", n)
	}
}
