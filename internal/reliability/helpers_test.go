package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/internal/testutil"
	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// project is the project every test uses.
const project = "proj"

// maxInterval caps every retry wait, server hints included: a hint of a second or an hour waits exactly this.
const maxInterval = 20 * time.Millisecond

// fastRetries is the default policy (5XX, 429, 408, connection errors) with millisecond waits and 4 attempts.
func fastRetries() client.RetryConfig {
	rc := client.DefaultRetryConfig()
	rc.InitialInterval = time.Millisecond
	rc.MaxInterval = maxInterval
	rc.MaxAttempts = 4
	rc.MaxElapsedTime = 30 * time.Second
	return rc
}

// newCountingDoer returns a doer over a fresh transport, whose idle connections are closed when t ends.
// Its first refuse dials go to a closed port instead, and fail with "connection refused".
func newCountingDoer(t testing.TB, refuse ...int) *testutil.CountingDoer {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	if len(refuse) > 0 && refuse[0] > 0 {
		closed, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closedAddr := closed.Addr().String()
		closed.Close()
		var dials atomic.Int64
		var dialer net.Dialer
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) <= int64(refuse[0]) {
				addr = closedAddr
			}
			return dialer.DialContext(ctx, network, addr)
		}
	}
	return &testutil.CountingDoer{HC: &http.Client{Transport: tr}}
}

// fake is a fresh amptest server with one seeded connection, and a client with a fresh transport.
type fake struct {
	srv   *amptest.Server
	doer  *testutil.CountingDoer
	logs  *testutil.LogRecorder
	c     *client.Client
	seed  client.Connection // the seeded connection of project (an API key)
	oauth client.Connection // the seeded OAuth connection of project, for oauthUpdate
}

// seeds is the number of connections a fake starts with.
const seeds = 2

// newFake starts a fake for one test (or one matrix cell); opts come after the defaults.
func newFake(t testing.TB, opts ...client.Option) *fake { return newFakeRefusing(t, 0, opts...) }

// newFakeRefusing is newFake whose client's first refuse dials are refused.
func newFakeRefusing(t testing.TB, refuse int, opts ...client.Option) *fake {
	t.Helper()
	f := &fake{srv: amptest.NewServer(), logs: &testutil.LogRecorder{}}
	t.Cleanup(f.srv.Close) // runs after the transport's idle connections are closed
	f.doer = newCountingDoer(t, refuse)
	seed, err := f.srv.SeedConnection(project, client.GenerateConnectionParams{
		Provider: "hubspot", GroupRef: "g", ConsumerRef: "c", APIKey: "seed-credential"})
	if err != nil {
		t.Fatal(err)
	}
	f.seed = seed
	if f.oauth, err = f.srv.SeedConnection(project, client.GenerateConnectionParams{Provider: "salesforce", GroupRef: "g", ConsumerRef: "c",
		OAuth2AuthorizationCode: client.OAuth2AuthorizationCode{RefreshToken: client.OAuth2Token{Token: "seed-refresh"}}}); err != nil {
		t.Fatal(err)
	}
	base := []client.Option{client.WithServerURL(f.srv.URL), client.WithAPIKey(f.srv.APIKey),
		client.WithHTTPClient(f.doer), client.WithRetryConfig(fastRetries()), client.WithLogger(slog.New(f.logs))}
	if f.c, err = client.New(append(base, opts...)...); err != nil {
		t.Fatal(err)
	}
	return f
}

// requests returns how many requests of op the fake received.
func (f *fake) requests(op amptest.Operation) int {
	n := 0
	for _, r := range f.srv.Requests() {
		if r.Operation == op {
			n++
		}
	}
	return n
}

// opNamed returns the operation of a matrix column.
func opNamed(name string) operation {
	for _, op := range operations {
		if op.name == name {
			return op
		}
	}
	panic("no operation " + name)
}

// operation is one API operation, called with a project and (for get, update and delete) a connection ID.
type operation struct {
	name    string // the matrix column
	id      amptest.Operation
	hasConn bool   // the path has a connection ID
	segment string // the path segment after the project ID; "" when the project is in the body
	suffix  string // what follows the connection ID in its segment (a custom method, ":oauth-update")
	call    func(ctx context.Context, c *client.Client, project, conn string, opts ...client.Option) (any, error)
}

// updatedRef is the providerWorkspaceRef every update sets.
const updatedRef = "ws-updated"

var operations = []operation{
	{"list", amptest.OpListConnections, false, "connections", "", func(ctx context.Context, c *client.Client, p, _ string, o ...client.Option) (any, error) {
		return c.Connections.List(ctx, client.ListConnectionsRequest{ProjectIDOrName: p}, o...)
	}},
	{"all", amptest.OpListConnections, false, "connections", "", func(ctx context.Context, c *client.Client, p, _ string, o ...client.Option) (any, error) {
		var out []client.Connection
		for conn, err := range c.Connections.All(ctx, client.ListConnectionsRequest{ProjectIDOrName: p}, o...) {
			if err != nil {
				return out, err
			}
			out = append(out, *conn)
		}
		return out, nil
	}},
	{"get", amptest.OpGetConnection, true, "connections", "", func(ctx context.Context, c *client.Client, p, id string, o ...client.Option) (any, error) {
		return c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: p, ConnectionID: id}, o...)
	}},
	{"generate", amptest.OpGenerateConnection, false, "connections:generate", "", func(ctx context.Context, c *client.Client, p, _ string, o ...client.Option) (any, error) {
		return c.Connections.Generate(ctx, client.GenerateConnectionRequest{ProjectIDOrName: p,
			Params: client.GenerateConnectionParams{Provider: "salesforce", GroupRef: "g2", ConsumerRef: "c2", APIKey: "new-credential"}}, o...)
	}},
	{"update", amptest.OpUpdateConnection, true, "connections", "", func(ctx context.Context, c *client.Client, p, id string, o ...client.Option) (any, error) {
		return c.Connections.Update(ctx, client.UpdateConnectionRequest{ProjectIDOrName: p, ConnectionID: id,
			Params: client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldProviderWorkspaceRef},
				Connection: client.ConnectionRequest{ProviderWorkspaceRef: updatedRef}}}, o...)
	}},
	{"oauth connect", amptest.OpOAuthConnect, false, "", "", func(ctx context.Context, c *client.Client, p, _ string, o ...client.Option) (any, error) {
		return c.OAuth.Connect(ctx, client.OAuthConnectRequest{Params: client.OAuthConnectParams{
			ProjectIDOrName: p, Provider: "salesforce", GroupRef: "g3", ConsumerRef: "c3"}}, o...)
	}},
	{"oauth update", amptest.OpOAuthUpdate, true, "connections", ":oauth-update", func(ctx context.Context, c *client.Client, p, id string, o ...client.Option) (any, error) {
		return c.OAuth.Update(ctx, client.OAuthUpdateRequest{ProjectIDOrName: p, ConnectionID: id}, o...)
	}},
	{"custom auth", amptest.OpCustomAuthConnect, false, "", "", func(ctx context.Context, c *client.Client, p, _ string, o ...client.Option) (any, error) {
		return c.Connections.CustomAuthConnect(ctx, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
			ProjectIDOrName: p, Provider: "bill", GroupRef: "g4", ConsumerRef: "c4", CustomAuth: map[string]any{"password": "x"}}}, o...)
	}},
	{"delete", amptest.OpDeleteConnection, true, "connections", "", func(ctx context.Context, c *client.Client, p, id string, o ...client.Option) (any, error) {
		return nil, c.Connections.Delete(ctx, client.DeleteConnectionRequest{ProjectIDOrName: p, ConnectionID: id}, o...)
	}},
}

// classify names how a call ended: "ok", "APIError <status>", "ConnError", "DecodeError", "ValidationError",
// "Canceled" or "DeadlineExceeded" (context errors first: they wrap the last APIError).
func classify(err error) string {
	var (
		apiErr  *client.APIError
		connErr *client.ConnectionError
		decErr  *client.DecodeError
		valErr  *client.ValidationError
	)
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.Canceled):
		return "Canceled"
	case errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &connErr):
		return "DeadlineExceeded"
	case errors.As(err, &apiErr):
		return fmt.Sprintf("APIError %d", apiErr.StatusCode)
	case errors.As(err, &connErr):
		return "ConnError"
	case errors.As(err, &decErr):
		return "DecodeError"
	case errors.As(err, &valErr):
		return "ValidationError"
	}
	return fmt.Sprintf("%T", err)
}

// reportedAttempts is the Attempts field of an APIError or ConnectionError; ok is false for other errors.
func reportedAttempts(err error) (n int, ok bool) {
	var apiErr *client.APIError
	var connErr *client.ConnectionError
	switch {
	case errors.As(err, &apiErr):
		return apiErr.Attempts, true
	case errors.As(err, &connErr):
		return connErr.Attempts, true
	}
	return 0, false
}

// newRawServer starts an httptest server for handlers that misbehave beyond amptest's faults. release is
// closed when t ends, before the server closes: a handler that blocks must also select on it.
func newRawServer(t testing.TB, h func(w http.ResponseWriter, r *http.Request, release <-chan struct{})) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, release) }))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(release) })
	return ts
}

// rawClient returns a client for a raw server with a fresh transport, without retries unless opts say so.
func rawClient(t testing.TB, ts *httptest.Server, opts ...client.Option) (*client.Client, *testutil.CountingDoer) {
	t.Helper()
	d := newCountingDoer(t)
	base := []client.Option{client.WithServerURL(ts.URL + "/v1"), client.WithAPIKey("raw-key"),
		client.WithHTTPClient(d), client.WithoutRetries()}
	c, err := client.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, d
}

// goCall runs call in a goroutine; await collects its error.
func goCall(call func() error) <-chan error {
	done := make(chan error, 1)
	go func() { done <- call() }()
	return done
}

// await waits for the result of goCall. Its guard only turns a hang into a failure; it asserts no timing.
func await(t testing.TB, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(60 * time.Second):
		t.Fatal("the call hung: no return 60 s after it should have ended")
		return nil
	}
}
