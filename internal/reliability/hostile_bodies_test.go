package reliability_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

const (
	kib = 1 << 10
	mib = 1 << 20
)

// connJSON is a valid connection (a getConnection reply); element is one in a list body.
const (
	connJSON = `{"id":"conn-1","projectId":"proj-1","provider":"salesforce",` +
		`"group":{"groupRef":"g","groupName":"G","projectId":"proj-1","createTime":"2024-03-01T09:00:00Z"},` +
		`"consumer":{"consumerRef":"c","consumerName":"C","projectId":"proj-1","createTime":"2024-03-01T09:00:00Z"},` +
		`"authScheme":"apiKey","status":"working","createTime":"2024-03-01T09:00:00Z"}`
	element = connJSON + ","
)

// listChunk is 64 KiB or so of list elements, written again and again.
var listChunk = []byte(strings.Repeat(element, 64*kib/len(element)))

// streamList serves a JSON list of about size bytes (endless when size < 0), written from one reused chunk
// so that the server itself allocates nothing per byte, every pause (flushing first). It counts what it
// wrote in sent and stops when the client goes away.
func streamList(size int64, pause time.Duration, sent *atomic.Int64) func(http.ResponseWriter, *http.Request, <-chan struct{}) {
	return func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("["))
		for size < 0 || sent.Load() < size {
			n, err := w.Write(listChunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
			if pause > 0 {
				http.NewResponseController(w).Flush()
				select {
				case <-time.After(pause):
				case <-r.Context().Done():
					return
				case <-release:
					return
				}
			}
		}
		_, _ = w.Write([]byte(connJSON + "]"))
	}
}

// heapGrowth runs f and returns the bytes allocated while it ran (runtime TotalAlloc: an upper bound of how
// much the heap can have grown) and the peak of live heap objects above the level before, sampled every
// millisecond with runtime/metrics.
func heapGrowth(f func()) (allocated, peak uint64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base, top := sample[0].Value.Uint64(), uint64(0)
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			top = max(top, sample[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(stop)
	<-stopped
	runtime.ReadMemStats(&after)
	if top > base {
		peak = top - base
	}
	return after.TotalAlloc - before.TotalAlloc, peak
}

// A 5 MB error body: APIError.Body keeps the first 64 KiB; the rest is never held.
func TestHugeErrorBody(t *testing.T) {
	page := bytes.Repeat([]byte("<p>Bad Gateway</p>\n"), 64*kib/19)
	ts := newRawServer(t, func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		for sent := 0; sent < 5*mib; sent += len(page) {
			if _, err := w.Write(page); err != nil {
				return
			}
		}
	})
	c, d := rawClient(t, ts)
	var err error
	allocated, peak := heapGrowth(func() { _, err = opNamed("list").call(context.Background(), c, project, "") })
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadGateway {
		t.Fatalf("err = %v, want a 502 APIError", err)
	}
	if len(apiErr.Body) != 64*kib || !bytes.HasPrefix(bytes.Repeat(page, 2), apiErr.Body) {
		t.Errorf("APIError.Body has %d bytes, want the first 64 KiB", len(apiErr.Body))
	}
	if allocated > 8*mib {
		t.Errorf("reading a 5 MB error body allocated %d MiB", allocated/mib)
	}
	d.CheckClosed(t)
	t.Logf("5 MB error body: %d KiB kept, %.1f MiB allocated, live heap peak +%.1f MiB", len(apiErr.Body)/kib, mb(allocated), mb(peak))
}

// A 100 MB success body with WithMaxResponseBytes(16 MiB) fails with a DecodeError naming the limit, after
// reading little more than the limit, and in bounded memory.
func TestHugeSuccessBodyOverTheLimit(t *testing.T) {
	var sent atomic.Int64
	ts := newRawServer(t, streamList(100*mib, 0, &sent))
	c, d := rawClient(t, ts, client.WithMaxResponseBytes(16*mib))
	var err error
	allocated, peak := heapGrowth(func() { _, err = opNamed("list").call(context.Background(), c, project, "") })
	checkTooLarge(t, err)
	if allocated > 64*mib {
		t.Errorf("a 100 MB body under a 16 MiB limit allocated %d MiB", allocated/mib)
	}
	d.CheckClosed(t)
	t.Logf("100 MB body, 16 MiB limit: server wrote %.1f MiB before the client hung up; %.1f MiB allocated, live heap peak +%.1f MiB",
		mb(uint64(sent.Load())), mb(allocated), mb(peak))
}

// A body that never ends: with the default limit the context deadline ends the call (a slow trickle would
// take days to reach 256 MiB); with a small limit the call fails as soon as it is passed.
func TestEndlessBody(t *testing.T) {
	t.Run("trickle, default limit, 300 ms deadline", func(t *testing.T) {
		var sent atomic.Int64
		ts := newRawServer(t, streamList(-1, 5*time.Millisecond, &sent))
		c, d := rawClient(t, ts)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		deadline, _ := ctx.Deadline()
		err := await(t, goCall(func() error { _, err := opNamed("list").call(ctx, c, project, ""); return err }))
		late := time.Since(deadline)
		if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() == nil {
			t.Fatalf("err = %v, want the context's deadline", err)
		}
		d.CheckClosed(t)
		t.Logf("endless trickle: returned %v after the 300 ms deadline, %.1f MiB received", late, mb(uint64(sent.Load())))
	})
	t.Run("flood, 1 MiB limit", func(t *testing.T) {
		var sent atomic.Int64
		ts := newRawServer(t, streamList(-1, 0, &sent))
		c, d := rawClient(t, ts, client.WithMaxResponseBytes(mib))
		var err error
		allocated, _ := heapGrowth(func() {
			err = await(t, goCall(func() error { _, err := opNamed("list").call(context.Background(), c, project, ""); return err }))
		})
		checkTooLarge(t, err)
		if allocated > 16*mib {
			t.Errorf("an endless body under a 1 MiB limit allocated %d MiB", allocated/mib)
		}
		d.CheckClosed(t)
		t.Logf("endless flood, 1 MiB limit: %.1f MiB allocated", mb(allocated))
	})
}

// A list reply whose Content-Length lies: it claims 64 MiB (capped by the SDK at the 4 MiB limit) and sends
// 17 connections, then ends. What the SDK reserves from the claim is bounded by the decoding budget (4 bytes
// per body byte plus 16 MiB, see RELIABILITY.md), not by the claim.
func TestLyingContentLength(t *testing.T) {
	const limit = 4 * mib
	body := "[" + strings.Repeat(element, 16) + connJSON + "]"
	ts := newRawServer(t, func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(64*mib)) // a lie: the body is 6 KiB
		_, _ = w.Write([]byte(body))
	})
	c, d := rawClient(t, ts, client.WithMaxResponseBytes(limit))
	var err error
	allocated, _ := heapGrowth(func() { _, err = opNamed("list").call(context.Background(), c, project, "") })
	if !errors.As(err, new(*client.ConnectionError)) {
		t.Errorf("err = %v, want a ConnectionError (the body broke off before its Content-Length)", err)
	}
	if bound := 4*uint64(len(body)) + 16*mib + 1*mib; allocated > bound {
		t.Errorf("a %d-byte body claiming 64 MiB made the SDK allocate %.1f MiB, over 4 per byte + 16 MiB", len(body), mb(allocated))
	}
	d.CheckClosed(t)
	t.Logf("%d-byte list claiming 64 MiB, 4 MiB limit: %.1f MiB allocated", len(body), mb(allocated))
}

// checkTooLarge fails t unless err is a DecodeError for a body over WithMaxResponseBytes.
func checkTooLarge(t *testing.T, err error) {
	t.Helper()
	var decErr *client.DecodeError
	if !errors.As(err, &decErr) || !strings.Contains(err.Error(), "limit") || !strings.Contains(err.Error(), "WithMaxResponseBytes") {
		t.Fatalf("err = %v, want a DecodeError naming the WithMaxResponseBytes limit", err)
	}
	if decErr.StatusCode != http.StatusOK || len(decErr.Body) > 64*kib {
		t.Errorf("DecodeError: status %d, %d bytes of body", decErr.StatusCode, len(decErr.Body))
	}
}

func mb(n uint64) float64 { return float64(n) / mib }
