package client_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// listOf writes a JSON list of n connections whose IDs are c-0 … c-(n-1); then tail (after the last
// element, before the closing bracket) — "" for a well-formed list.
func listOf(w http.ResponseWriter, n int, tail string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte("["))
	for i := range n {
		if i > 0 {
			_, _ = w.Write([]byte(","))
		}
		_, _ = w.Write([]byte(strings.Replace(connJSON, `"id":"conn-1"`, fmt.Sprintf(`"id":"c-%d"`, i), 1)))
	}
	_, _ = w.Write([]byte(tail + "]"))
}

// collect ranges over an All iteration, stopping after limit connections (0: no limit).
func collect(seq func(func(*client.Connection, error) bool), limit int) (ids []string, errs []error) {
	for conn, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, conn.ID)
		if limit > 0 && len(ids) == limit {
			break
		}
	}
	return ids, errs
}

// Every connection, in order, then nothing; the same request as List, with and without the method.
func TestAllYieldsEveryConnectionInOrder(t *testing.T) {
	const n = 100_000
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { listOf(w, n, "") })
	c := api.newClient(t)
	for name, seq := range map[string]func(func(*client.Connection, error) bool){
		"method":     c.Connections.All(bg, client.ListConnectionsRequest{ProjectIDOrName: "p", Provider: "x"}),
		"standalone": client.ConnectionsAll(bg, c, client.ListConnectionsRequest{ProjectIDOrName: "p", Provider: "x"}),
	} {
		ids, errs := collect(seq, 0)
		if len(errs) > 0 || len(ids) != n {
			t.Fatalf("%s: %d connections, errors %v", name, len(ids), errs)
		}
		for i, id := range ids {
			if id != fmt.Sprintf("c-%d", i) {
				t.Fatalf("%s: connection %d is %s", name, i, id)
			}
		}
	}
	for _, r := range api.requests() {
		if r.Method != "GET" || r.RequestURI != "/v1/projects/p/connections?provider=x" {
			t.Errorf("sent %s %s", r.Method, r.RequestURI)
		}
	}
}

// An error in the middle of the array yields the connections before it, then the error, then nothing;
// it is not retried (the connections were handed out).
func TestAllErrorMidway(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { listOf(w, 3, `,{"id":"x" "provider":"p"}`) })
	ids, errs := collect(api.newClient(t, client.WithRetryConfig(fastRetries())).Connections.All(bg, client.ListConnectionsRequest{ProjectIDOrName: "p"}), 0)
	var decErr *client.DecodeError
	if len(ids) != 3 || len(errs) != 1 || !errors.As(errs[0], &decErr) || decErr.Pointer != "/3" {
		t.Fatalf("ids %v, errors %v; want 3 connections, then a DecodeError at /3", ids, errs)
	}
	if len(api.requests()) != 1 {
		t.Errorf("%d requests, want 1", len(api.requests()))
	}
}

// resetAfter writes n connections, then resets the connection.
func resetAfter(n int) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/json")
		if n > 0 {
			listOf(w, n, "")
		}
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		_ = buf.Flush()
		_ = conn.(*net.TCPConn).SetLinger(0)
		_ = conn.Close()
	}
}

// A reset before the first connection is retried like List's; one after connections were yielded ends the
// iteration with a ConnectionError, and nothing is yielded twice.
func TestAllRetriesOnlyBeforeTheFirstConnection(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			resetAfter(0)(w, r, n)
			return
		}
		listOf(w, 2, "")
	})
	ids, errs := collect(api.newClient(t, client.WithRetryConfig(fastRetries())).Connections.All(bg, client.ListConnectionsRequest{ProjectIDOrName: "p"}), 0)
	if len(errs) > 0 || strings.Join(ids, ",") != "c-0,c-1" || len(api.requests()) != 2 {
		t.Fatalf("reset before: ids %v, errors %v, %d requests", ids, errs, len(api.requests()))
	}

	mid := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Length", "100000") // the body breaks off before its length
		listOf(w, 2, "")
	})
	ids, errs = collect(mid.newClient(t, client.WithRetryConfig(fastRetries())).Connections.All(bg, client.ListConnectionsRequest{ProjectIDOrName: "p"}), 0)
	if len(ids) != 2 || len(errs) != 1 || !errors.As(errs[0], new(*client.ConnectionError)) || len(mid.requests()) != 1 {
		t.Fatalf("broken after two: ids %v, errors %v, %d requests; want 2, a ConnectionError, 1 request", ids, errs, len(mid.requests()))
	}
}

// The same checks as List, before any I/O.
func TestAllValidatesFirst(t *testing.T) {
	api := newFakeAPI(t, okHandler)
	_, errs := collect(api.newClient(t).Connections.All(bg, client.ListConnectionsRequest{ProjectIDOrName: ".."}), 0)
	if len(errs) != 1 || !errors.As(errs[0], new(*client.ValidationError)) || len(api.requests()) != 0 {
		t.Fatalf("errors %v, %d requests", errs, len(api.requests()))
	}
}

// A body that stalls after some connections: the per-attempt timeout, or the caller's context, ends the
// iteration with its error after the connections already read, and it is not retried.
func TestAllStalledBodyEndsWithTheTimeoutOrTheContext(t *testing.T) {
	stall := func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, "[%s,%s,", connJSON, strings.Replace(connJSON, `"id":"conn-1"`, `"id":"conn-2"`, 1))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // never more
	}
	t.Run("per-attempt timeout", func(t *testing.T) {
		api := newFakeAPI(t, stall)
		ids, errs := collect(api.newClient(t).Connections.All(bg, client.ListConnectionsRequest{ProjectIDOrName: "p"},
			client.WithTimeout(300*time.Millisecond)), 0)
		var ce *client.ConnectionError
		if len(ids) != 2 || len(errs) != 1 || !errors.As(errs[0], &ce) || !ce.Timeout {
			t.Fatalf("ids %v, errors %v; want 2 connections, then one timeout", ids, errs)
		}
		if n := len(api.requests()); n != 1 {
			t.Errorf("%d requests: a failure after a yield must not be retried", n)
		}
	})
	t.Run("context cancelled by the loop", func(t *testing.T) {
		api := newFakeAPI(t, stall)
		ctx, cancel := context.WithCancel(bg)
		defer cancel()
		var ids []string
		var errs []error
		for conn, err := range api.newClient(t).Connections.All(ctx, client.ListConnectionsRequest{ProjectIDOrName: "p"}) {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ids = append(ids, conn.ID)
			if len(ids) == 2 {
				cancel() // the next read waits on a body that never comes
			}
		}
		if len(ids) != 2 || len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
			t.Fatalf("ids %v, errors %v; want 2 connections, then context.Canceled", ids, errs)
		}
		if n := len(api.requests()); n != 1 {
			t.Errorf("%d requests after a cancel", n)
		}
	})
}

// RetryConfig.MaxElapsedTime bounds the retries before All's first connection, not the iteration: one that
// has run out before the request is even sent cuts List's call (which it bounds whole), not All's stream.
func TestMaxElapsedTimeDoesNotBoundAllsIteration(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { listOf(w, 3, "") })
	rc := fastRetries()
	rc.MaxElapsedTime = time.Nanosecond // over before the first attempt starts
	c := api.newClient(t, client.WithRetryConfig(rc))
	req := client.ListConnectionsRequest{ProjectIDOrName: "p"}
	if ids, errs := collect(c.Connections.All(bg, req), 0); len(ids) != 3 || len(errs) != 0 {
		t.Fatalf("All: ids %v, errors %v; want 3 connections", ids, errs)
	}
	var connErr *client.ConnectionError
	if _, err := c.Connections.List(bg, req); !errors.As(err, &connErr) || !connErr.Timeout {
		t.Fatalf("List: %v; want a timed-out *ConnectionError (the call's MaxElapsedTime)", err)
	}
}
