// Package bench measures what the SDK costs on top of the network, against a hand-written net/http client
// (the floor), the bare oapi-codegen client, and ogen's client for the same spec (the speed peer), all
// against the same in-process server that answers with canned bytes. Run with `make bench` (from the
// repository root), which interleaves the contenders across rounds and prints a benchstat table.
package bench

import (
	"context"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/bench/internal/fixture"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

const listSize = 10_000

var (
	listServer = sync.OnceValue(func() *fixture.Server { return fixture.NewServer(listSize) })
	getServer  = sync.OnceValue(func() *fixture.Server { return fixture.NewServer(1) })
)

func contenders(srv *fixture.Server, withOgen bool) []contender {
	cs := []contender{raw(srv, tunedTransport()), bareGen(srv), sdk(srv)}
	if withOgen {
		cs = append(cs, ogenPeer(srv))
	}
	return cs
}

// BenchmarkGet is one getConnection round trip: the SDK's overhead over the floor.
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	for _, c := range contenders(getServer(), true) {
		b.Run(c.name, func(b *testing.B) {
			if _, err := c.get(ctx); err != nil { // warm the connection
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.get(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkList10k is a listConnections round trip returning 10,000 connections (about 7 MB of JSON).
func BenchmarkList10k(b *testing.B) {
	ctx := context.Background()
	srv := listServer()
	for _, c := range contenders(srv, true) {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(srv.List)))
			b.ReportAllocs()
			for b.Loop() {
				n, err := c.list(ctx)
				if err != nil || n != listSize {
					b.Fatalf("%d connections, %v", n, err)
				}
			}
		})
	}
}

// BenchmarkList10kPeakHeap reports the peak heap during a 10k list call as a multiple of the response
// body's size (peak-heap/resp). A goroutine samples the runtime's heap-objects metric while the call runs,
// so this benchmark's ns/op is not meaningful.
func BenchmarkList10kPeakHeap(b *testing.B) {
	ctx := context.Background()
	srv := listServer()
	for _, c := range contenders(srv, true) {
		b.Run(c.name, func(b *testing.B) {
			var ratios []float64
			for b.Loop() {
				var n int
				peak := peakHeap(func() {
					var err error
					if n, err = c.list(ctx); err != nil {
						b.Fatal(err)
					}
				})
				if n != listSize {
					b.Fatalf("%d connections", n)
				}
				ratios = append(ratios, float64(peak)/float64(len(srv.List)))
			}
			sort.Float64s(ratios)
			b.ReportMetric(ratios[len(ratios)/2], "peak-heap/resp")
		})
	}
}

// peakHeap runs f and returns the most heap memory (live or not yet swept) it held at once above what was
// live before it, sampled from runtime/metrics.
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			default:
				time.Sleep(20 * time.Microsecond)
			}
		}
	}()
	f()
	close(done)
	<-stopped
	if v := read(); v > peak.Load() {
		peak.Store(v)
	}
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// BenchmarkConcurrentGet runs 64 goroutines sharing one client. It reports requests per second and the TCP
// connections opened per call after warm-up (a client that keeps too few idle connections churns them).
func BenchmarkConcurrentGet(b *testing.B) {
	const goroutines = 64
	ctx := context.Background()
	srv := getServer()
	cases := []contender{
		raw(srv, tunedTransport()),
		sdk(srv),
		func() contender {
			c := raw(srv, http.DefaultTransport.(*http.Transport).Clone())
			c.name = "raw-default-transport"
			return c
		}(),
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			// Warm up: 64 concurrent calls a few times, so the pool holds the connections it will keep.
			for range 4 {
				var wg sync.WaitGroup
				for range goroutines {
					wg.Go(func() {
						if _, err := c.get(ctx); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
			}
			before := srv.NewConns.Load()
			b.SetParallelism((goroutines + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.get(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
			elapsed := time.Since(start)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(srv.NewConns.Load()-before)/float64(b.N), "new-conns/op")
		})
	}
}

// BenchmarkRetry measures a call whose first attempt gets 503 with Retry-After: 0 and whose second
// succeeds, against a plain call: what a retry costs beyond the wait (allocations, timers).
func BenchmarkRetry(b *testing.B) {
	ctx := context.Background()
	srv := fixture.NewServer(1)
	defer srv.Close()
	var fail atomic.Bool
	srv.Fail = func(int64) bool { return fail.Swap(false) }
	rc := client.DefaultRetryConfig()
	rc.InitialInterval, rc.MaxInterval = time.Nanosecond, time.Nanosecond
	c := sdk(srv, client.WithRetryConfig(rc))
	for _, retried := range []bool{false, true} {
		name := "sdk-one-attempt"
		if retried {
			name = "sdk-503-then-200"
		}
		b.Run(name, func(b *testing.B) {
			goroutines := runtime.NumGoroutine()
			b.ReportAllocs()
			for b.Loop() {
				fail.Store(retried)
				if _, err := c.get(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			// A retry must not leave goroutines or timers behind (a leak would grow with b.N; a few goroutines
			// may come and go with the connections of other benchmarks).
			if n := runtime.NumGoroutine(); n > goroutines+8 {
				b.Errorf("%d goroutines after the benchmark, %d before: something leaks", n, goroutines)
			}
		})
	}
}
