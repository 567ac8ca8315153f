package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// attemptTimeout is WithTimeout for the slow-reply row: far above a normal reply of the fake, even under
// -race on a loaded machine, and far below the fault's hour-long delay.
const attemptTimeout = 750 * time.Millisecond

// fault is one matrix row: a transient fault (Times 1, then normal service) and its expected outcome per
// operation, written out by hand from the documented policy (README "Retries"), not computed by the SDK.
type fault struct {
	name string
	// fault is injected for the cell's operation; a func, for faults that carry the current time. nil: the
	// fault is refused dials instead, which the server never sees.
	fault func() amptest.Fault
	// refuse is how many of the client's first dials are refused (connection refused, nothing sent).
	refuse int
	// acted: the faulted attempt's operation ran on the server before the reply broke (Fault.Processed, or a
	// kind that always runs it: reset mid-body, truncated body). Otherwise the fault replaced the operation
	// and the server changed nothing.
	acted bool
	// hint: the server asked to wait (Retry-After, problem retryAfter) longer than MaxInterval, so every
	// retry must wait exactly MaxInterval instead of the ~1 ms backoff.
	hint bool
	// slow: the reply is slower than the per-attempt timeout; the client gets WithTimeout(attemptTimeout).
	slow bool
	// want is the cell per column of operations (list, all, get, generate, update, oauth connect, oauth update,
	// custom auth, delete): the attempts the
	// server saw, then the outcome.
	want [9]string
}

func status(code int) func() amptest.Fault {
	return func() amptest.Fault {
		// A problem that says nothing about retrying: the status alone decides.
		return amptest.Fault{Status: code, Problem: &client.Problem{Detail: "injected"}}
	}
}

func withProblem(code int, p client.Problem, header ...string) func() amptest.Fault {
	return func() amptest.Fault {
		f := amptest.Fault{Status: code, Problem: &p, Header: http.Header{}}
		for i := 0; i+1 < len(header); i += 2 {
			f.Header.Set(header[i], header[i+1])
		}
		return f
	}
}

func kind(k amptest.FaultKind, processed bool) func() amptest.Fault {
	return func() amptest.Fault { return amptest.Fault{Kind: k, Processed: processed} }
}

func ptr[T any](v T) *T { return &v }

var faults = []fault{
	{name: "500", fault: status(500), want: [9]string{"2 ok", "2 ok", "2 ok", "1 APIError 500", "2 ok", "2 ok", "2 ok", "1 APIError 500", "2 ok"}},
	{name: "502", fault: status(502), want: [9]string{"2 ok", "2 ok", "2 ok", "1 APIError 502", "2 ok", "2 ok", "2 ok", "1 APIError 502", "2 ok"}},
	{name: "503", fault: status(503), want: [9]string{"2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok"}},
	{name: "504", fault: status(504), want: [9]string{"2 ok", "2 ok", "2 ok", "1 APIError 504", "2 ok", "2 ok", "2 ok", "1 APIError 504", "2 ok"}},
	{name: "429 + Retry-After: 1 (seconds)", hint: true,
		fault: withProblem(429, client.Problem{Detail: "slow down"}, "Retry-After", "1"),
		want:  [9]string{"2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok"}},
	{name: "429 + Retry-After: HTTP-date (+1 h)", hint: true,
		fault: func() amptest.Fault {
			return withProblem(429, client.Problem{Detail: "slow down"},
				"Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))()
		},
		want: [9]string{"2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok"}},
	{name: "408", fault: status(408), want: [9]string{"2 ok", "2 ok", "2 ok", "1 APIError 408", "2 ok", "2 ok", "2 ok", "1 APIError 408", "2 ok"}},
	{name: "501 (problem retryable: true)", fault: withProblem(501, client.Problem{Retryable: ptr(true)}),
		want: [9]string{"1 APIError 501", "1 APIError 501", "1 APIError 501", "1 APIError 501", "1 APIError 501", "1 APIError 501", "1 APIError 501", "1 APIError 501", "1 APIError 501"}},
	{name: "503 + problem retryable: false", fault: withProblem(503, client.Problem{Retryable: ptr(false)}),
		want: [9]string{"1 APIError 503", "1 APIError 503", "1 APIError 503", "1 APIError 503", "1 APIError 503", "1 APIError 503", "1 APIError 503", "1 APIError 503", "1 APIError 503"}},
	{name: "409 + problem retryable: true", fault: withProblem(409, client.Problem{Retryable: ptr(true)}),
		want: [9]string{"2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok"}},
	{name: "503 + problem retryAfter (+1 h)", hint: true,
		fault: func() amptest.Fault {
			return withProblem(503, client.Problem{RetryAfter: time.Now().Add(time.Hour).UTC()})()
		},
		want: [9]string{"2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok", "2 ok"}},
	{name: "reset before the reply", fault: kind(amptest.FaultResetBeforeReply, false),
		want: [9]string{"2 ok", "2 ok", "2 ok", "1 ConnError", "2 ok", "2 ok", "2 ok", "1 ConnError", "2 ok"}},
	{name: "reset before the reply, after acting", acted: true, fault: kind(amptest.FaultResetBeforeReply, true),
		want: [9]string{"2 ok", "2 ok", "2 ok", "1 ConnError", "2 ok", "2 ok", "2 ok", "1 ConnError", "2 APIError 404"}},
	// deleteConnection's 204 has no body to cut: it arrives whole before the connection goes. The first half of
	// the list holds its first connection, which All yields: the broken rest is not retried behind the loop.
	{name: "reset mid-body", acted: true, fault: kind(amptest.FaultResetMidBody, false),
		want: [9]string{"2 ok", "1 ConnError", "2 ok", "1 ConnError", "2 ok", "2 ok", "2 ok", "1 ConnError", "1 ok"}},
	{name: "truncated JSON body", acted: true, fault: kind(amptest.FaultTruncatedBody, false),
		want: [9]string{"2 ok", "1 ConnError", "2 ok", "1 ConnError", "2 ok", "2 ok", "2 ok", "1 ConnError", "1 ok"}},
	{name: "HTML 502 page from a proxy", fault: kind(amptest.FaultHTMLPage, false),
		want: [9]string{"2 ok", "2 ok", "2 ok", "1 APIError 502", "2 ok", "2 ok", "2 ok", "1 APIError 502", "2 ok"}},
	// The operation ran and the body was lost; deleteConnection decodes no body, so a 200 is its success.
	{name: "empty 200 body, after acting", acted: true, fault: kind(amptest.FaultEmptyBody, true),
		want: [9]string{"1 DecodeError", "1 DecodeError", "1 DecodeError", "1 DecodeError", "1 DecodeError", "1 DecodeError", "1 DecodeError", "1 DecodeError", "1 ok"}},
	// The refused attempt never reaches the server: it sees one request, the retry.
	{name: "connection refused (dial)", refuse: 1, want: [9]string{"1 ok", "1 ok", "1 ok", "1 ok", "1 ok", "1 ok", "1 ok", "1 ok", "1 ok"}},
	{name: "reply slower than WithTimeout, after acting", acted: true, slow: true,
		// The operation runs, then the reply waits an hour (the client leaves long before; it is never sent).
		fault: func() amptest.Fault { return amptest.Fault{Delay: time.Hour, Processed: true} },
		want:  [9]string{"2 ok", "2 ok", "2 ok", "1 ConnError", "2 ok", "2 ok", "2 ok", "1 ConnError", "2 APIError 404"}},
}

func TestFaultMatrix(t *testing.T) {
	var mu sync.Mutex
	got := map[[2]int]string{}
	t.Run("cells", func(t *testing.T) {
		for i, row := range faults {
			for j, op := range operations {
				t.Run(row.name+"/"+op.name, func(t *testing.T) {
					t.Parallel()
					cell := runCell(t, row, op, row.want[j])
					mu.Lock()
					got[[2]int{i, j}] = cell
					mu.Unlock()
				})
			}
		}
	})
	t.Log("\n" + matrixTable(func(i, j int) string { return got[[2]int{i, j}] }))
}

// runCell runs one operation against a fresh fake and client with the row's fault, checks everything the
// cell promises, and returns what it observed ("<attempts> <outcome>").
func runCell(t *testing.T, row fault, op operation, want string) string {
	var opts []client.Option
	if row.slow {
		opts = append(opts, client.WithTimeout(attemptTimeout))
	}
	f := newFakeRefusing(t, row.refuse, opts...)
	if row.fault != nil {
		f.srv.InjectFault(op.id, row.fault())
	}

	conn := f.seed.ID
	if op.id == amptest.OpOAuthUpdate {
		conn = f.oauth.ID
	}
	res, err := op.call(context.Background(), f.c, project, conn)
	n := f.requests(op.id)
	cell := fmt.Sprintf("%d %s", n, classify(err))
	if cell != want {
		t.Errorf("got %q, want %q (err: %v)", cell, want, err)
	}
	if reported, ok := reportedAttempts(err); ok && reported != n {
		t.Errorf("the error reports %d attempts, the server saw %d", reported, n)
	}
	var connErr *client.ConnectionError
	if errors.As(err, &connErr) && connErr.Timeout != row.slow {
		t.Errorf("ConnectionError.Timeout = %v, want %v", connErr.Timeout, row.slow)
	}
	f.doer.CheckClosed(t)
	checkWaits(t, f.logs.RetryWaits(), n+row.refuse, row.hint)
	// The attempts after a fault got normal service and took effect: every one the server saw but the
	// faulted one. The faulted attempt took effect when the row acted.
	normal := n
	if row.fault != nil {
		normal--
	}
	checkState(t, f, op, normal, row.acted, err == nil, res)
	return cell
}

// checkWaits checks the waits between attempts: exactly MaxInterval for a capped server hint, the ~1 ms
// backoff otherwise.
func checkWaits(t *testing.T, waits []time.Duration, attempts int, hint bool) {
	t.Helper()
	if len(waits) != attempts-1 {
		t.Errorf("%d retries logged for %d attempts", len(waits), attempts)
	}
	for _, w := range waits {
		if hint && w != maxInterval || !hint && (w <= 0 || w >= maxInterval) {
			t.Errorf("waited %v before a retry (hint: %v, MaxInterval %v)", w, hint, maxInterval)
		}
	}
}

// checkState checks the fake's state after normal attempts that got normal service (and the faulted one,
// which acted or not), and the value the call returned.
func checkState(t *testing.T, f *fake, op operation, normal int, acted, ok bool, res any) {
	t.Helper()
	tookEffect := acted || normal > 0
	conns := f.srv.Connections(project)
	stored, exists := f.srv.Connection(project, f.seed.ID)
	switch op.id {
	case amptest.OpGenerateConnection:
		// Every attempt that took effect created a connection.
		want := normal
		if acted {
			want++
		}
		if created := len(conns) - seeds; created != want {
			t.Errorf("%d connections created, want %d", created, want)
		}
		if c, _ := res.(*client.Connection); ok && (c == nil || !has(conns, c.ID)) {
			t.Errorf("generate returned %+v, which the server does not have", c)
		}
	case amptest.OpUpdateConnection:
		if updated := stored.ProviderWorkspaceRef == updatedRef; updated != tookEffect {
			t.Errorf("providerWorkspaceRef = %q after the call (took effect: %v)", stored.ProviderWorkspaceRef, tookEffect)
		}
		if c, _ := res.(*client.Connection); ok && (c == nil || c.ProviderWorkspaceRef != updatedRef) {
			t.Errorf("update returned %+v", c)
		}
	case amptest.OpDeleteConnection:
		if exists == tookEffect {
			t.Errorf("the connection exists: %v after the call (took effect: %v)", exists, tookEffect)
		}
	case amptest.OpOAuthConnect, amptest.OpOAuthUpdate, amptest.OpCustomAuthConnect:
		// They mint a URL or start a flow: no connection changes until a browser (or a resume call) acts.
		if len(conns) != seeds || !exists {
			t.Errorf("state changed by %s: %d connections", op.id, len(conns))
		}
		switch v := res.(type) {
		case *url.URL:
			if ok && (v == nil || !strings.HasPrefix(v.String(), strings.TrimSuffix(f.srv.URL, "/v1")+"/oauth/authorize?")) {
				t.Errorf("%s returned %v", op.id, v)
			}
		case *client.CustomAuthConnectResult:
			if ok && (v == nil || v.Redirect == nil || v.Connection != nil) {
				t.Errorf("custom auth returned %+v", v)
			}
		}
	default: // list, all and get change nothing
		if len(conns) != seeds || !exists || stored.ProviderWorkspaceRef != "" {
			t.Errorf("state changed by a read: %d connections", len(conns))
		}
		if l, isList := res.([]client.Connection); ok && isList && (len(l) != seeds || l[0].ID != f.seed.ID) {
			t.Errorf("list returned %+v", l)
		}
		if c, isConn := res.(*client.Connection); ok && isConn && (c == nil || c.ID != f.seed.ID) {
			t.Errorf("get returned %+v", c)
		}
	}
}

func has(conns []client.Connection, id string) bool {
	for _, c := range conns {
		if c.ID == id {
			return true
		}
	}
	return false
}

// matrixTable renders the matrix as an aligned Markdown table: rows are faults, columns operations.
func matrixTable(cell func(i, j int) string) string {
	rows := [][]string{{"fault (Times: 1)"}}
	for _, op := range operations {
		rows[0] = append(rows[0], op.name)
	}
	for i, f := range faults {
		r := []string{f.name}
		for j := range operations {
			r = append(r, cell(i, j))
		}
		rows = append(rows, r)
	}
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for j, c := range r {
			width[j] = max(width[j], len([]rune(c)))
		}
	}
	var b strings.Builder
	line := func(r []string) {
		for j, c := range r {
			fmt.Fprintf(&b, "| %-*s ", width[j], c)
		}
		b.WriteString("|\n")
	}
	line(rows[0])
	sep := make([]string, len(width))
	for j, w := range width {
		sep[j] = strings.Repeat("-", w)
	}
	line(sep)
	for _, r := range rows[1:] {
		line(r)
	}
	return b.String()
}
