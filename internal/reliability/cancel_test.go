package reliability_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// patientRetries honours server hints of up to two hours: a wait of an hour is really waited.
func patientRetries() client.RetryConfig {
	rc := fastRetries()
	rc.MaxInterval = 2 * time.Hour
	rc.MaxElapsedTime = 3 * time.Hour
	return rc
}

// cancelRuns is how many times each cancellation is measured.
const cancelRuns = 10

// cancelScenario starts a call that will block for an hour in one phase. It returns the call, a channel
// closed once the call is in that phase, and a counter of the requests the server received.
type cancelScenario func(t *testing.T) (call func(context.Context) error, inPhase <-chan struct{}, requests func() int)

// Cancelling the context in any phase of a call returns context.Canceled at once; the server would have
// blocked for an hour. The latency from cancel() to return is measured and printed, not asserted.
func TestCancelReturnsPromptly(t *testing.T) {
	scenarios := []struct {
		name  string
		start cancelScenario
	}{
		{"during the backoff wait (Retry-After: 3600)", duringBackoff},
		{"during the request (server holds it)", duringRequest},
		{"during the body read (half a body, then silence)", duringBody},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var lat []time.Duration
			for range cancelRuns {
				call, inPhase, requests := sc.start(t)
				ctx, cancel := context.WithCancel(context.Background())
				done := goCall(func() error { return call(ctx) })
				<-inPhase
				began := time.Now()
				cancel()
				err := await(t, done)
				lat = append(lat, time.Since(began))
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v, want context.Canceled", err)
				}
				if n := requests(); n != 1 {
					t.Fatalf("%d requests, want 1", n)
				}
			}
			slices.Sort(lat)
			t.Logf("cancel → return over %d runs: median %v, max %v", cancelRuns, lat[len(lat)/2], lat[len(lat)-1])
		})
	}
}

// duringBackoff: a 503 asks to retry in an hour; the SDK logs its retry decision, then waits.
func duringBackoff(t *testing.T) (func(context.Context) error, <-chan struct{}, func() int) {
	f := newFake(t, client.WithRetryConfig(patientRetries()))
	f.srv.InjectFault(amptest.OpGetConnection, amptest.Fault{Status: 503, Header: http.Header{"Retry-After": {"3600"}}})
	waiting := f.logs.On("ampersand retry")
	call := func(ctx context.Context) error {
		_, err := opNamed("get").call(ctx, f.c, project, f.seed.ID)
		var apiErr *client.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
			t.Errorf("the last attempt's 503 is not reachable from %v", err)
		}
		return err
	}
	return call, waiting, func() int { return f.requests(amptest.OpGetConnection) }
}

// duringRequest: the server has the request and never answers.
func duringRequest(t *testing.T) (func(context.Context) error, <-chan struct{}, func() int) {
	arrived := make(chan struct{})
	var n atomic.Int32
	ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		if n.Add(1) == 1 {
			close(arrived)
		}
		hold(r, release)
	})
	c, d := rawClient(t, ts, client.WithRetryConfig(patientRetries()))
	t.Cleanup(func() { d.CheckClosed(t) })
	return getCall(c), arrived, func() int { return int(n.Load()) }
}

// duringBody: the server sends the headers and half a JSON body, flushes, and never sends the rest. The
// call is in the body read once the doer has returned the response to the SDK.
func duringBody(t *testing.T) (func(context.Context) error, <-chan struct{}, func() int) {
	var n atomic.Int32
	ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"id":"conn-1","provider":"sales`))
		http.NewResponseController(w).Flush()
		hold(r, release)
	})
	c, d := rawClient(t, ts, client.WithRetryConfig(patientRetries()))
	d.Replied = make(chan struct{})
	t.Cleanup(func() { d.CheckClosed(t) })
	return getCall(c), d.Replied, func() int { return int(n.Load()) }
}

// hold blocks a handler for an hour, until the client goes away, or until the test ends.
func hold(r *http.Request, release <-chan struct{}) {
	select {
	case <-r.Context().Done():
	case <-release:
	case <-time.After(time.Hour):
	}
}

func getCall(c *client.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := opNamed("get").call(ctx, c, project, "conn-1")
		return err
	}
}

// A context deadline shorter than the server's Retry-After ends the call at once: one attempt, and the
// APIError is returned before the deadline.
func TestDeadlineShorterThanRetryAfterGivesUpAtOnce(t *testing.T) {
	for _, fault := range []amptest.Fault{
		{Status: 503, Header: http.Header{"Retry-After": {"3600"}}},
		{Status: 429, Header: http.Header{"Retry-After": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}},
	} {
		f := newFake(t, client.WithRetryConfig(patientRetries()))
		f.srv.InjectFault(amptest.OpListConnections, fault)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		began := time.Now()
		_, err := opNamed("list").call(ctx, f.c, project, "")
		took := time.Since(began)
		ctxErr := ctx.Err()
		cancel()
		var apiErr *client.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != fault.Status || apiErr.Attempts != 1 {
			t.Fatalf("err = %v, want the %d APIError of the single attempt", err, fault.Status)
		}
		if ctxErr != nil || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the call returned after its deadline: ctx.Err() = %v, err = %v", ctxErr, err)
		}
		if n := f.requests(amptest.OpListConnections); n != 1 {
			t.Errorf("%d attempts, want 1", n)
		}
		t.Logf("%d with Retry-After %s under a 1-minute deadline: returned after %v", fault.Status, fault.Header.Get("Retry-After"), took)
	}
}
