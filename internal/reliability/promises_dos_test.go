package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// The denial-of-service and hang promises of issue 10 (items 5–7, 9, 10). Timings are never asserted: a
// test counts requests, or relies on await's guard to turn a hang into a failure.

// Item 5. A server hint never makes the wait shorter than the backoff: Retry-After 0, a negative value, a
// date in the past or a past problem retryAfter leave the backoff as it is. Waits of at least 40 ms in
// 300 ms allow at most 9 attempts; with the hint obeyed the call would make hundreds.
func TestZeroOrPastHintsKeepTheBackoff(t *testing.T) {
	past := time.Now().Add(-time.Hour).UTC()
	for name, reply := range map[string]func(w http.ResponseWriter){
		"Retry-After: 0":           func(w http.ResponseWriter) { w.Header().Set("Retry-After", "0") },
		"Retry-After: -5":          func(w http.ResponseWriter) { w.Header().Set("Retry-After", "-5") },
		"Retry-After: a past date": func(w http.ResponseWriter) { w.Header().Set("Retry-After", past.Format(http.TimeFormat)) },
		"problem retryAfter in the past": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, `{"title":"busy","retryAfter":%q}`, past.Format(time.RFC3339))
		},
	} {
		t.Run(name, func(t *testing.T) {
			var n atomic.Int64
			ts := newRawServer(t, func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
				n.Add(1)
				reply(w)
				w.WriteHeader(http.StatusServiceUnavailable)
			})
			rc := client.DefaultRetryConfig()
			rc.InitialInterval, rc.MaxInterval, rc.Exponent = 50*time.Millisecond, 50*time.Millisecond, 1
			rc.MaxAttempts, rc.MaxElapsedTime = 0, 300*time.Millisecond
			c, _ := rawClient(t, ts, client.WithRetryConfig(rc), client.WithoutRetryBudget())
			_, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
			if !errors.As(err, new(*client.APIError)) {
				t.Fatalf("err = %v, want the last 503", err)
			}
			if got := n.Load(); got > 9 {
				t.Errorf("%d attempts in 300 ms with a 50 ms backoff: the hint shortened the waits", got)
			}
		})
	}
}

// outage is a server that fails every request: a 503 problem, or a TCP reset before any reply.
func outage(t *testing.T, reset bool, requests *atomic.Int64) *client.Client {
	ts := newRawServer(t, func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
		requests.Add(1)
		if reset {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.(*net.TCPConn).SetLinger(0)
				_ = conn.Close()
			}
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"title":"Service Unavailable","detail":"outage"}`))
	})
	// No keep-alive: net/http would otherwise retry a reset on a reused connection itself, unseen by the SDK.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	t.Cleanup(tr.CloseIdleConnections)
	rc := client.DefaultRetryConfig() // 4 attempts, a 250-token budget, 5 tokens a retry
	rc.InitialInterval, rc.MaxInterval = time.Millisecond, 2*time.Millisecond
	c, err := client.New(client.WithServerURL(ts.URL+"/v1"), client.WithAPIKey("k"),
		client.WithHTTPClient(&http.Client{Transport: tr}), client.WithRetryConfig(rc))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fleet makes calls calls from each of goroutines goroutines sharing c and returns every error.
func fleet(c *client.Client, goroutines, calls int, opts ...client.Option) []error {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range calls {
				_, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"}, opts...)
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errs
}

// Item 6. During a total outage, 32 goroutines sharing one client send at most one attempt per call plus the
// budget's 50 retries (250 tokens, 5 a retry) in all, however many calls they make; without the budget
// every call makes its 4 attempts. Every call that the budget stopped returns the real cause (errors.As
// finds its *APIError or *ConnectionError) and matches ErrRetryBudgetExhausted.
func TestRetryBudgetBoundsAFleetInAnOutage(t *testing.T) {
	const goroutines, calls = 32, 20
	for _, reset := range []bool{false, true} {
		kind := map[bool]string{false: "every reply 503", true: "every connection reset"}[reset]
		for _, budget := range []bool{true, false} {
			var requests atomic.Int64
			c := outage(t, reset, &requests)
			var opts []client.Option
			if !budget {
				opts = append(opts, client.WithoutRetryBudget())
			}
			errs := fleet(c, goroutines, calls, opts...)
			total := goroutines * calls
			exhausted := 0
			for _, err := range errs {
				var apiErr *client.APIError
				var connErr *client.ConnectionError
				if !errors.As(err, &apiErr) && !errors.As(err, &connErr) {
					t.Fatalf("%s: err = %v, want the real cause", kind, err)
				}
				if errors.Is(err, client.ErrRetryBudgetExhausted) {
					exhausted++
				}
			}
			got := requests.Load()
			if budget {
				var first atomic.Int64 // one call per goroutine: the first wave, which the full budget still retries
				fleet(outage(t, reset, &first), goroutines, 1)
				t.Logf("%s, 32 goroutines × 1 call, budget true: %.2f attempts per call (the budget's 50 retries)", kind, float64(first.Load())/goroutines)
			}
			t.Logf("%s, 32 goroutines × %d calls, budget %v: %d attempts, %.2f per call; %d calls stopped by the budget",
				kind, calls, budget, got, float64(got)/float64(total), exhausted)
			switch {
			case budget && got > int64(total+50):
				t.Errorf("%s: %d attempts for %d calls, over one each plus the budget's 50 retries", kind, got, total)
			case budget && exhausted < total-50:
				t.Errorf("%s: only %d of %d calls matched ErrRetryBudgetExhausted", kind, exhausted, total)
			case !budget && got != int64(4*total):
				t.Errorf("%s without the budget: %d attempts for %d calls, want 4 each", kind, got, total)
			}
		}
	}
}

// Item 6. After an outage emptied the budget, successes refill it: a transient failure right after the
// outage is not retried, and is again once a few calls have succeeded. The error says why it was not retried.
func TestRetryBudgetRefillsAfterTheOutage(t *testing.T) {
	var mode atomic.Value // "fail", "ok", or "once" (one 503, then ok)
	mode.Store("fail")
	var failedOnce atomic.Bool
	ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		switch m := mode.Load().(string); {
		case m == "fail", m == "once" && failedOnce.CompareAndSwap(false, true):
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(connJSON))
		}
	})
	rc := fastRetries()
	rc.BudgetCapacity, rc.RetryCost, rc.SuccessRefund = 10, 5, 1
	c, _ := rawClient(t, ts, client.WithRetryConfig(rc))
	get := func() error {
		_, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
		return err
	}
	_ = get() // the outage: two retries empty the 10-token budget
	mode.Store("once")
	err := get()
	if !errors.Is(err, client.ErrRetryBudgetExhausted) || !errors.As(err, new(*client.APIError)) {
		t.Fatalf("right after the outage: err = %v, want the 503, not retried for the budget", err)
	}
	for _, want := range []string{"retry budget", "not retried"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Error() = %q, want it to say %q", err.Error(), want)
		}
	}
	for range 5 { // five successes refund five tokens: one retry
		if err := get(); err != nil {
			t.Fatal(err)
		}
	}
	failedOnce.Store(false)
	if err := get(); err != nil {
		t.Fatalf("after five successes a transient 503 was not retried: %v", err)
	}
}

// Item 7. A 101 Switching Protocols hands the SDK the raw connection as a body, which nothing bounds: it is an
// *APIError at once, and never read (this server keeps the connection open and silent until the test ends).
func TestSwitchingProtocolsIsAnErrorAtOnce(t *testing.T) {
	ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")
		_ = buf.Flush()
		hold(r, release)
	})
	c, _ := rawClient(t, ts)
	err := await(t, goCall(func() error {
		_, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
		return err
	}))
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("err = %v, want an APIError 101", err)
	}
}

// Item 9. MaxElapsedTime bounds the whole call, the attempt in flight included: against a server that never
// replies, the call ends when it runs out, with a timed-out *ConnectionError that matches
// context.DeadlineExceeded, and keeps the previous attempt's *APIError.
func TestMaxElapsedTimeCutsTheAttemptInFlight(t *testing.T) {
	var n atomic.Int64
	ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		hold(r, release)
	})
	rc := fastRetries()
	rc.MaxElapsedTime = 500 * time.Millisecond
	c, _ := rawClient(t, ts, client.WithRetryConfig(rc))
	err := await(t, goCall(func() error {
		_, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
		return err
	}))
	var connErr *client.ConnectionError
	var apiErr *client.APIError
	if !errors.As(err, &connErr) || !connErr.Timeout || !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want a timed-out ConnectionError (DeadlineExceeded) keeping the 503", err)
	}
	if !strings.Contains(err.Error(), "MaxElapsedTime") {
		t.Errorf("Error() = %q, want it to name MaxElapsedTime", err.Error())
	}
}

// Item 10. A successful Delete returns as soon as its status arrives, even when the server trickles a body it
// never finishes: the SDK does not wait to drain it.
func TestSuccessNeverWaitsForATricklingBody(t *testing.T) {
	ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		w.Header().Set("Content-Length", strconv.Itoa(1000))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("{"))
		http.NewResponseController(w).Flush()
		hold(r, release)
	})
	c, d := rawClient(t, ts)
	err := await(t, goCall(func() error {
		return c.Connections.Delete(context.Background(), client.DeleteConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
	}))
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	d.CheckClosed(t)
}
