package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// The error contracts of issue 10 (items 11–16).

// Item 11. When the context ends during an attempt, the previous attempt's *APIError is still reachable
// with errors.As, as it is when the context ends during a backoff wait.
func TestContextEndDuringAttemptKeepsTheLastError(t *testing.T) {
	var n atomic.Int64
	second := make(chan struct{})
	ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		close(second)
		hold(r, release)
	})
	c, _ := rawClient(t, ts, client.WithRetryConfig(fastRetries()))
	ctx, cancel := context.WithCancel(context.Background())
	done := goCall(func() error {
		_, err := c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
		return err
	})
	<-second
	cancel()
	err := await(t, done)
	var apiErr *client.APIError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Fatalf("err = %v, want context.Canceled and the first attempt's 503", err)
	}
}

// Item 12. A deadline that ends the call while an error body is read gives both: errors.Is finds
// context.DeadlineExceeded and errors.As the *APIError, with the part of the body that arrived.
func TestDeadlineWhileReadingAnErrorBody(t *testing.T) {
	ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "10000")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(strings.Repeat("x", 100)))
		http.NewResponseController(w).Flush()
		hold(r, release)
	})
	c, _ := rawClient(t, ts)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
	var apiErr *client.APIError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &apiErr) || apiErr.StatusCode != 502 || len(apiErr.Body) != 100 {
		t.Fatalf("err = %v, want DeadlineExceeded and the 502 with its 100 bytes", err)
	}
}

// Item 13, as issue 21 changed it. A 2xx body without a property the spec requires, or with null where an
// object is required, is a *DecodeError naming the JSON pointer under WithStrictDecoding, for a single
// connection and for a list. By default it decodes, the same pointer in its first DecodeIssue — except what has
// no usable id or is not of the right shape, which is a DecodeError in both modes.
func TestMissingRequiredPropertiesAreDecodeErrors(t *testing.T) {
	noGroupRef := strings.Replace(connJSON, `"groupRef":"g",`, "", 1)
	nullID := strings.Replace(connJSON, `"id":"conn-1"`, `"id":null`, 1)
	for _, tc := range []struct {
		list    bool
		body    string
		pointer string
		fails   bool // also by default
	}{
		{false, `null`, "", true}, {false, `{}`, "/id", true}, {false, nullID, "/id", true}, {false, noGroupRef, "/group/groupRef", false},
		{false, strings.Replace(connJSON, `"group":{`, `"group":null,"x":{`, 1), "/group", false},
		{true, `null`, "", true}, {true, `[null]`, "/0", false}, {true, `[{}]`, "/0/id", false},
		{true, "[" + connJSON + "," + noGroupRef + "]", "/1/group/groupRef", false},
		{true, "[" + connJSON[:len(connJSON)-1] + `,"providerMetadata":{"k":{"value":"v"}}}]`, "/0/providerMetadata/k/source", false},
	} {
		ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(tc.body))
		})
		for _, strict := range []bool{true, false} {
			var issues []client.DecodeIssue
			opts := []client.Option{client.WithHooks(client.Hooks{CallEnd: func(_ context.Context, call *client.Call, _ error) { issues = call.DecodeIssues }})}
			if strict {
				opts = append(opts, client.WithStrictDecoding())
			}
			c, _ := rawClient(t, ts, opts...)
			var err error
			if tc.list {
				_, err = c.Connections.List(context.Background(), client.ListConnectionsRequest{ProjectIDOrName: "p"})
			} else {
				_, err = c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
			}
			var decErr *client.DecodeError
			switch {
			case strict || tc.fails:
				if !errors.As(err, &decErr) || decErr.Pointer != tc.pointer {
					t.Errorf("list %v, strict %v, %.60s: err = %v, want a DecodeError at %q", tc.list, strict, tc.body, err, tc.pointer)
				}
			case err != nil || len(issues) == 0 || issues[0].Pointer != tc.pointer:
				t.Errorf("list %v, %.60s: err = %v, issues %v; want success with an issue at %q", tc.list, tc.body, err, issues, tc.pointer)
			}
		}
	}
}

// Item 14. DecodeError.Body holds the body up to 64 KiB, not just what the decoder had read when it failed.
func TestDecodeErrorHoldsTheBody(t *testing.T) {
	for _, tc := range []struct{ body, pointer string }{
		{`{"id":1,"pad":"` + strings.Repeat("p", 20_000) + `"}`, "/id"},
		{`{"id":"c"]` + strings.Repeat("p", 200_000), ""}, // malformed at its start: 64 KiB, far beyond what was decoded
	} {
		ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(tc.body))
		})
		c, _ := rawClient(t, ts)
		_, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
		var decErr *client.DecodeError
		if !errors.As(err, &decErr) {
			t.Errorf("err = %v, want a *DecodeError", err)
			continue
		}
		want := tc.body[:min(len(tc.body), 64<<10)]
		if string(decErr.Body) != want || decErr.Pointer != tc.pointer {
			t.Errorf("err = %v with %d bytes of body, want the first %d bytes of the %d-byte body and the pointer %s",
				err, len(decErr.Body), len(want), len(tc.body), tc.pointer)
		}
	}
}

// Item 15. Every attempt starts from a pristine copy of the request: a request editor's change does not
// accumulate over retries.
func TestRequestEditorsDoNotAccumulate(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		mu.Lock()
		queries = append(queries, r.URL.RawQuery+" "+strings.Join(r.Header.Values("X-Trace"), ","))
		n := len(queries)
		mu.Unlock()
		if n < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(connJSON))
	})
	c, _ := rawClient(t, ts, client.WithRetryConfig(fastRetries()), client.WithRequestEditor(func(_ context.Context, r *http.Request) error {
		q := r.URL.Query()
		q.Add("trace", "1")
		r.URL.RawQuery = q.Encode()
		r.Header.Add("X-Trace", "1")
		return nil
	}))
	if _, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"}); err != nil {
		t.Fatal(err)
	}
	for i, q := range queries {
		if q != "trace=1 1" {
			t.Errorf("attempt %d sent %q, want trace=1 once", i+1, q)
		}
	}
}

// Item 16. CloseIdleConnections releases the keep-alive connections, and their goroutines, of the SDK's own
// HTTP client: after 100 concurrent calls and the call, no goroutine started by them is left.
func TestCloseIdleConnections(t *testing.T) {
	ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		time.Sleep(5 * time.Millisecond) // keep the calls concurrent, so that they need many connections
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(connJSON))
	})
	before := goleak.IgnoreCurrent()
	c, err := client.New(client.WithServerURL(ts.URL+"/v1"), client.WithAPIKey("k"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			if _, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: strconv.Itoa(i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	c.CloseIdleConnections()
	goleak.VerifyNone(t, before)
}

// Breaking out of All's loop closes the body at once, even when the server would send forever, and leaves
// no goroutine behind.
func TestAllBreakReturnsAtOnce(t *testing.T) {
	ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("["))
		for i := 0; ; i++ {
			if _, err := fmt.Fprintf(w, "%s,", strings.Replace(connJSON, `"id":"conn-1"`, fmt.Sprintf(`"id":"c-%d"`, i), 1)); err != nil {
				return
			}
			select {
			case <-release:
				return
			case <-r.Context().Done():
				return
			default:
			}
		}
	})
	before := goleak.IgnoreCurrent() // the server's own goroutines
	c, err := client.New(client.WithServerURL(ts.URL+"/v1"), client.WithAPIKey("k"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		n := 0
		for _, err := range c.Connections.All(context.Background(), client.ListConnectionsRequest{ProjectIDOrName: "p"}) {
			if err != nil {
				t.Error(err)
			}
			if n++; n == 5 {
				break
			}
		}
		done <- n
	}()
	select {
	case n := <-done:
		if n != 5 {
			t.Fatalf("%d connections before the break", n)
		}
	case <-time.After(60 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("breaking out of the loop did not return")
	}
	c.CloseIdleConnections()
	goleak.VerifyNone(t, before, goleak.IgnoreTopFunction("net/http.(*conn).serve")) // the server's side of the closed connection may linger
}
