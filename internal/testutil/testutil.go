// Package testutil holds the test helpers that pkg/client's tests and the reliability suite share.
package testutil

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// LogRecorder is a slog.Handler that keeps every record and can signal when a message is logged.
type LogRecorder struct {
	mu     sync.Mutex
	recs   []slog.Record
	notify map[string]chan struct{} // message → closed the first time it is logged
}

func (l *LogRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *LogRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *LogRecorder) WithGroup(string) slog.Handler            { return l }

func (l *LogRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	if ch, ok := l.notify[r.Message]; ok {
		close(ch)
		delete(l.notify, r.Message)
	}
	return nil
}

// Records returns the records kept so far.
func (l *LogRecorder) Records() []slog.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]slog.Record(nil), l.recs...)
}

// On returns a channel closed when msg is next logged.
func (l *LogRecorder) On(msg string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.notify == nil {
		l.notify = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	l.notify[msg] = ch
	return ch
}

// RetryWaits returns the wait of every "ampersand retry" record, in order.
func (l *LogRecorder) RetryWaits() []time.Duration {
	var out []time.Duration
	for _, r := range l.Records() {
		if r.Message != "ampersand retry" {
			continue
		}
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "wait" {
				out = append(out, a.Value.Duration())
			}
			return true
		})
	}
	return out
}

// CountingDoer is an HTTPDoer that counts the response bodies it hands out and how many were closed. (A
// doer that is not an *http.Client skips the SDK's redirect guard.)
type CountingDoer struct {
	HC             *http.Client
	opened, closed atomic.Int64
	// Replied, when set before the first call, is closed when the first response (headers) is handed over.
	Replied chan struct{}
	once    sync.Once
}

// Do sends r with d.HC and wraps the response body to count its Close.
func (d *CountingDoer) Do(r *http.Request) (*http.Response, error) {
	resp, err := d.HC.Do(r)
	if resp != nil && resp.Body != nil {
		d.opened.Add(1)
		resp.Body = &countedBody{ReadCloser: resp.Body, d: d}
		if d.Replied != nil {
			d.once.Do(func() { close(d.Replied) })
		}
	}
	return resp, err
}

// Open returns how many bodies were handed out and not closed.
func (d *CountingDoer) Open() int64 { return d.opened.Load() - d.closed.Load() }

// CheckClosed fails t unless every body handed out was closed.
func (d *CountingDoer) CheckClosed(t testing.TB) {
	t.Helper()
	if o, c := d.opened.Load(), d.closed.Load(); o != c {
		t.Errorf("%d response bodies opened, %d closed", o, c)
	}
}

type countedBody struct {
	io.ReadCloser
	d    *CountingDoer
	once sync.Once
}

func (b *countedBody) Close() error {
	b.once.Do(func() { b.d.closed.Add(1) })
	return b.ReadCloser.Close()
}
