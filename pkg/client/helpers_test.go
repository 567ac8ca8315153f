package client_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

const testKey = "test-key-5b1f0c7d"

// exchange is one request the fake API received.
type exchange struct {
	Method, RequestURI string
	Header             http.Header
	Body               string
}

// fakeAPI is an httptest server under /v1 whose handler gets the 1-based number of each request. It records
// every request and counts the TCP connections clients open.
type fakeAPI struct {
	srv      *httptest.Server
	mu       sync.Mutex
	seen     []exchange
	newConns atomic.Int32
}

func newFakeAPI(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, n int)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.seen = append(f.seen, exchange{Method: r.Method, RequestURI: r.RequestURI, Header: r.Header.Clone(), Body: string(body)})
		n := len(f.seen)
		f.mu.Unlock()
		handler(w, r, n)
	}))
	f.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.newConns.Add(1)
		}
	}
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) URL() string { return f.srv.URL + "/v1" }

func (f *fakeAPI) requests() []exchange {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]exchange(nil), f.seen...)
}

// fastRetries retries quickly, so that retry tests take milliseconds.
func fastRetries() client.RetryConfig {
	rc := client.DefaultRetryConfig()
	rc.InitialInterval = time.Millisecond
	rc.MaxInterval = 5 * time.Millisecond
	rc.MaxElapsedTime = 30 * time.Second
	return rc
}

// newClient returns a client for f with the test key and fast retries; opts come last.
func (f *fakeAPI) newClient(t *testing.T, opts ...client.Option) *client.Client {
	t.Helper()
	base := []client.Option{client.WithAPIKey(testKey), client.WithServerURL(f.URL()), client.WithRetryConfig(fastRetries())}
	c, err := client.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func reply(w http.ResponseWriter, status int, contentType, body string) {
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func problem(w http.ResponseWriter, status int, body string) {
	reply(w, status, "application/problem+json", body)
}

const connJSON = `{"id":"conn-1","projectId":"proj-1","provider":"salesforce",
	"group":{"groupRef":"g","groupName":"G","projectId":"proj-1","createTime":"2024-03-01T09:00:00Z"},
	"consumer":{"consumerRef":"c","consumerName":"C","projectId":"proj-1","createTime":"2024-03-01T09:00:00Z"},
	"authScheme":"oauth2/authorizationCode","status":"working","createTime":"2024-03-01T09:00:00.123456Z"}`

var bg = context.Background()

func unescapePath(s string) (string, error) { return url.PathUnescape(s) }
