package amptest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

func TestFaultStatus(t *testing.T) {
	clock := newManualClock()
	h := newHarness(t, WithClock(clock.Now))
	retryDate := time.Date(2025, 3, 1, 9, 5, 0, 0, time.UTC)
	no := false
	cases := []struct {
		name          string
		fault         Fault
		status        int
		retryable     bool
		retryAfter    time.Time
		detail        string
		retryAfterHdr string
	}{
		{"default problem with Retry-After seconds", Fault{Status: 503, Header: http.Header{"Retry-After": {"2"}}},
			503, true, clock.Now().Add(2 * time.Second), "amptest: injected fault", "2"},
		{"Retry-After as an HTTP-date", Fault{Status: 429, Header: http.Header{"Retry-After": {retryDate.Format(http.TimeFormat)}}},
			429, true, retryDate, "amptest: injected fault", retryDate.Format(http.TimeFormat)},
		{"default status", Fault{}, 500, true, time.Time{}, "amptest: injected fault", ""},
		{"client error", Fault{Status: 409}, 409, false, time.Time{}, "amptest: injected fault", ""},
		{"given problem", Fault{Problem: &client.Problem{Status: 422, Detail: "unknown provider", Retryable: &no,
			Issues: []client.InputValidationIssue{{In: "body", Name: "provider", Detail: "unknown provider"}}}},
			422, false, time.Time{}, "unknown provider", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.srv.InjectFault(OpGenerateConnection, tc.fault)
			r := h.send(http.MethodPost, generatePath("p"), apiKeyParams("f"))
			p := decodeProblem(t, r, tc.status)
			if p.Type != "about:blank" || p.Title != http.StatusText(tc.status) || int(p.Status) != tc.status ||
				p.RequestID != r.header.Get("X-Request-Id") || p.Detail != tc.detail {
				t.Errorf("problem %+v", p)
			}
			if p.Retryable == nil || *p.Retryable != tc.retryable || !p.RetryAfter.Equal(tc.retryAfter) {
				t.Errorf("retryable %v retryAfter %v, want %v %v", p.Retryable, p.RetryAfter, tc.retryable, tc.retryAfter)
			}
			if got := r.header.Get("Retry-After"); got != tc.retryAfterHdr {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfterHdr)
			}
		})
	}
	if n := len(h.srv.Connections("p")); n != 0 {
		t.Errorf("faults without Processed created %d connections", n)
	}
}

func TestFaultRawBody(t *testing.T) {
	h := newHarness(t)
	h.srv.InjectFault(OpListConnections, Fault{Status: 200, Body: []byte(`{"not":"a list"}`)})
	h.srv.InjectFault(OpListConnections, Fault{Status: 400, Body: []byte("plain"), ContentType: "text/plain"})
	for _, want := range []struct {
		status   int
		ct, body string
	}{{200, "application/json", `{"not":"a list"}`}, {400, "text/plain", "plain"}} {
		resp, body, err := rawCall(h, http.MethodGet, connectionsPath("p"), nil)
		if err != nil || resp.StatusCode != want.status || resp.Header.Get("Content-Type") != want.ct || string(body) != want.body {
			t.Errorf("reply %v %q %q (%v), want %+v", resp.StatusCode, resp.Header.Get("Content-Type"), body, err, want)
		}
	}
}

// rawCall sends a request with the raw client and reads the reply; err is the first error met.
func rawCall(h *harness, method, path string, body any) (*http.Response, []byte, error) {
	return rawCallContext(context.Background(), h, method, path, body)
}

func rawCallContext(ctx context.Context, h *harness, method, path string, body any) (*http.Response, []byte, error) {
	h.t.Helper()
	resp, err := h.rawClient().Do(h.request(ctx, method, path, body))
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

func TestFaultConnectionBreaks(t *testing.T) {
	h := newHarness(t)

	h.srv.InjectFault(OpGenerateConnection, Fault{Kind: FaultResetBeforeReply})
	if _, _, err := rawCall(h, http.MethodPost, generatePath("p"), apiKeyParams("a")); err == nil {
		t.Error("reset before reply: no error")
	}
	if n := len(h.srv.Connections("p")); n != 0 {
		t.Errorf("reset before reply created %d connections", n)
	}

	h.srv.InjectFault(OpGenerateConnection, Fault{Kind: FaultResetMidBody})
	resp, body, err := rawCall(h, http.MethodPost, generatePath("p"), apiKeyParams("b"))
	if err == nil || resp == nil || resp.StatusCode != http.StatusCreated || int64(len(body)) >= resp.ContentLength {
		t.Errorf("reset mid-body: reply %v, %d bytes read, err %v; want 201 and a body read error", resp, len(body), err)
	}

	h.srv.InjectFault(OpGenerateConnection, Fault{Kind: FaultTruncatedBody})
	resp, body, err = rawCall(h, http.MethodPost, generatePath("p"), apiKeyParams("c"))
	if !errors.Is(err, io.ErrUnexpectedEOF) || resp.StatusCode != http.StatusCreated ||
		int64(len(body)) != resp.ContentLength/2 || resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("truncated: reply %v, %d bytes read, err %v; want 201, half the body and an unexpected EOF",
			resp, len(body), err)
	}
	// Both mid-body faults ran the operation.
	if n := len(h.srv.Connections("p")); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	// The faults are used up.
	h.generate("p", apiKeyParams("d"))
}

func TestFaultHTMLAndEmptyBody(t *testing.T) {
	h := newHarness(t)
	h.srv.InjectFault(OpGetConnection, Fault{Kind: FaultHTMLPage})
	h.srv.InjectFault(OpGetConnection, Fault{Kind: FaultHTMLPage, Status: 504})
	h.srv.InjectFault(OpGetConnection, Fault{Kind: FaultEmptyBody})
	for _, status := range []int{502, 504} {
		resp, body, err := rawCall(h, http.MethodGet, connectionPath("p", "x"), nil)
		text := strconv.Itoa(status) + " " + http.StatusText(status)
		if err != nil || resp.StatusCode != status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(string(body), "<title>"+text+"</title>") {
			t.Errorf("HTML page: %v %q (%v)", resp, body, err)
		}
	}
	resp, body, err := rawCall(h, http.MethodGet, connectionPath("p", "x"), nil)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" ||
		len(body) != 0 || resp.ContentLength != 0 {
		t.Errorf("empty body: %v %q (%v)", resp, body, err)
	}
}

func TestFaultDelay(t *testing.T) {
	h := newHarness(t)
	h.srv.InjectFault(OpGenerateConnection, Fault{Status: 503, Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := rawCallContext(ctx, h, http.MethodPost, generatePath("p"), apiKeyParams("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("delayed reply: err %v, want the client's deadline", err)
	}
	if n := len(h.srv.Connections("p")); n != 0 {
		t.Errorf("%d connections, want 0", n)
	}
}

// TestFaultProcessedDelay is the double-creation scenario: the server stores the connection, the reply is
// slow, the client gives up.
func TestFaultProcessedDelay(t *testing.T) {
	h := newHarness(t)
	h.srv.InjectFault(OpGenerateConnection, Fault{Status: 504, Delay: time.Hour, Processed: true})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, _, err := rawCallContext(ctx, h, http.MethodPost, generatePath("p"), apiKeyParams("x"))
		errc <- err
	}()
	waitFor(t, "the connection to be stored", func() bool { return len(h.srv.Connections("p")) == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

func TestFaultProcessed(t *testing.T) {
	for _, kind := range []FaultKind{FaultStatus, FaultHTMLPage, FaultEmptyBody, FaultResetBeforeReply} {
		for _, processed := range []bool{false, true} {
			t.Run(kind.String()+"/processed="+strconv.FormatBool(processed), func(t *testing.T) {
				h := newHarness(t)
				h.srv.InjectFault(OpGenerateConnection, Fault{Kind: kind, Processed: processed})
				_, _, _ = rawCall(h, http.MethodPost, generatePath("p"), apiKeyParams("x"))
				want := 0
				if processed {
					want = 1
				}
				if n := len(h.srv.Connections("p")); n != want {
					t.Errorf("%d connections, want %d", n, want)
				}
			})
		}
	}
}

func TestFaultOrder(t *testing.T) {
	h := newHarness(t)
	h.srv.InjectFault(OpGenerateConnection, Fault{Status: 503, Times: 2})
	h.srv.InjectFault(OpGenerateConnection, Fault{Status: 429})
	h.srv.InjectFault(AnyOperation, Fault{Status: 500})
	h.srv.InjectFault(OpDeleteConnection, Fault{Status: 502})
	steps := []struct {
		method, path string
		body         any
		want         int
	}{
		{http.MethodPost, generatePath("p"), apiKeyParams("x"), 503},
		{http.MethodGet, "/unknown", nil, 404}, // faults never apply to unrouted requests
		{http.MethodGet, connectionsPath("p"), nil, 500},
		{http.MethodPost, generatePath("p"), apiKeyParams("x"), 503},
		{http.MethodPost, generatePath("p"), apiKeyParams("x"), 429},
		{http.MethodPost, generatePath("p"), apiKeyParams("x"), 201},
		{http.MethodDelete, connectionPath("p", "x"), nil, 502},
		{http.MethodDelete, connectionPath("p", "x"), nil, 404},
	}
	for i, s := range steps {
		if r := h.send(s.method, s.path, s.body); r.status != s.want {
			t.Fatalf("step %d (%s %s): status %d, want %d", i, s.method, s.path, r.status, s.want)
		}
	}
	h.srv.InjectFault(AnyOperation, Fault{Status: 500, Times: 5})
	h.srv.ClearFaults()
	expectJSON[[]client.Connection](t, h.send(http.MethodGet, connectionsPath("p"), nil), http.StatusOK)
}

func TestInjectFaultRejectsBadFaults(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	cases := []struct {
		op    Operation
		fault Fault
		want  string
	}{
		{"listConnection", Fault{}, "unknown operation"},
		{OpGetConnection, Fault{Kind: FaultEmptyBody + 1}, "unknown fault kind"},
		{OpGetConnection, Fault{Times: -1}, "negative Times"},
		{OpGetConnection, Fault{Delay: -time.Second}, "negative Delay"},
		{OpGetConnection, Fault{Status: 99}, "outside 200-599"},
		{OpGetConnection, Fault{Status: 204}, "needs a Problem or a Body"},
	}
	for _, tc := range cases {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.Contains(msg, tc.want) {
					t.Errorf("InjectFault(%q, %+v) panicked with %q, want %q", tc.op, tc.fault, msg, tc.want)
				}
			}()
			srv.InjectFault(tc.op, tc.fault)
		}()
	}
}
