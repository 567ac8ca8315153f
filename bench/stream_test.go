package bench

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/bench/internal/fixture"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// List against All, over 10,000 and 100,000 connections (7 and 71 MB), in the same run: time per call (and
// per connection), allocations, and the peak heap above the level before the call. The peak is sampled
// from runtime/metrics by peakHeap; for All the loop drops each connection, as a sync job that writes it
// elsewhere does, so its peak is what the SDK itself holds.

var streamServers sync.Map // size → *fixture.Server

func streamServer(n int) *fixture.Server {
	if s, ok := streamServers.Load(n); ok {
		return s.(*fixture.Server)
	}
	s, _ := streamServers.LoadOrStore(n, fixture.NewServer(n))
	return s.(*fixture.Server)
}

// streamers are the two ways of reading a list with the SDK; each returns the number of connections.
func streamers(srv *fixture.Server) []struct {
	name string
	read func(context.Context) (int, error)
} {
	c, err := client.New(client.WithServerURL(srv.BaseURL()), client.WithAPIKey(fixture.Key))
	if err != nil {
		panic(err)
	}
	req := client.ListConnectionsRequest{ProjectIDOrName: project}
	return []struct {
		name string
		read func(context.Context) (int, error)
	}{
		{"List", func(ctx context.Context) (int, error) {
			cs, err := c.Connections.List(ctx, req)
			return len(cs), err
		}},
		{"All", func(ctx context.Context) (int, error) {
			n := 0
			for conn, err := range c.Connections.All(ctx, req) {
				if err != nil {
					return n, err
				}
				if conn.ID != "" {
					n++
				}
			}
			return n, nil
		}},
	}
}

// BenchmarkStream is List and All over 10k and 100k connections: ns/op, ns/conn, B/op, allocs/op.
func BenchmarkStream(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{10_000, 100_000} {
		srv := streamServer(size)
		for _, s := range streamers(srv) {
			b.Run(fmt.Sprintf("%s/%dk", s.name, size/1000), func(b *testing.B) {
				b.SetBytes(int64(len(srv.List)))
				b.ReportAllocs()
				for b.Loop() {
					if n, err := s.read(ctx); err != nil || n != size {
						b.Fatalf("%d connections, %v", n, err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(size), "ns/conn")
			})
		}
	}
}

// BenchmarkStreamPeakHeap reports the median peak heap of List and All over 10k and 100k connections, in MiB
// (peak-MiB) and as a multiple of the body (peak-heap/resp). The collector runs with GOGC=1 meanwhile, so
// that garbage waiting for a collection (up to GOGC% of the live heap, which here includes the canned
// 71 MB body) is not mistaken for memory the SDK holds. Its ns/op is not meaningful.
func BenchmarkStreamPeakHeap(b *testing.B) {
	for _, size := range []int{10_000, 100_000} {
		streamServer(size) // both bodies are live in every measurement: the same baseline
	}
	defer debug.SetGCPercent(debug.SetGCPercent(1))
	ctx := context.Background()
	for _, size := range []int{10_000, 100_000} {
		srv := streamServer(size)
		for _, s := range streamers(srv) {
			b.Run(fmt.Sprintf("%s/%dk", s.name, size/1000), func(b *testing.B) {
				var peaks []float64
				for b.Loop() {
					peak := peakHeap(func() {
						if n, err := s.read(ctx); err != nil || n != size {
							b.Fatalf("%d connections, %v", n, err)
						}
					})
					peaks = append(peaks, float64(peak))
				}
				sort.Float64s(peaks)
				median := peaks[len(peaks)/2]
				b.ReportMetric(median/(1<<20), "peak-MiB")
				b.ReportMetric(median/float64(len(srv.List)), "peak-heap/resp")
				if s.name == "All" {
					b.ReportMetric(float64(heldByAll(b, srv))/(1<<20), "held-MiB")
				}
			})
		}
	}
}

// heldByAll returns the most memory live during an All iteration above the level before it: the loop
// forces a collection every 1,000 connections and reads the live heap, so no garbage is counted.
func heldByAll(b *testing.B, srv *fixture.Server) int64 {
	c, err := client.New(client.WithServerURL(srv.BaseURL()), client.WithAPIKey(fixture.Key))
	if err != nil {
		b.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, held, i := int64(ms.HeapAlloc), int64(0), 0
	for _, err := range c.Connections.All(context.Background(), client.ListConnectionsRequest{ProjectIDOrName: project}) {
		if err != nil {
			b.Fatal(err)
		}
		if i++; i%1000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			held = max(held, int64(ms.HeapAlloc)-base)
		}
	}
	return held
}
