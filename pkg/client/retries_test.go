package client_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/internal/testutil"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

var genReq = client.GenerateConnectionRequest{ProjectIDOrName: "p",
	Params: client.GenerateConnectionParams{Provider: "hubspot", GroupRef: "g", ConsumerRef: "c", APIKey: "k"}}

// sequence answers request n with steps[n-1] (the last step repeats).
func sequence(steps ...func(w http.ResponseWriter, r *http.Request)) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, n int) { steps[min(n, len(steps))-1](w, r) }
}

func status(code int, headers ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		problem(w, code, `{"title":"`+http.StatusText(code)+`","status":`+strconv.Itoa(code)+`}`)
	}
}

func withBody(code int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) { problem(w, code, body) }
}

func ok(w http.ResponseWriter, r *http.Request) { okHandler(w, r, 0) }

// reset closes the connection with a TCP RST after reading the request: no reply at all.
func reset(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

func TestRetriesUntilSuccess(t *testing.T) {
	api := newFakeAPI(t, sequence(status(503), status(429), ok))
	doer := &testutil.CountingDoer{HC: &http.Client{}}
	conn, err := api.newClient(t, client.WithHTTPClient(doer)).Connections.Generate(bg, genReq)
	if err != nil || conn.ID != "conn-1" {
		t.Fatalf("%v %+v", err, conn)
	}
	reqs := api.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d attempts, want 3", len(reqs))
	}
	for i, r := range reqs[1:] {
		if r.Body != reqs[0].Body || r.Body == "" || r.Header.Get("X-Api-Key") != testKey {
			t.Errorf("attempt %d sent %q, attempt 1 sent %q: the full body must be resent", i+2, r.Body, reqs[0].Body)
		}
	}
	if n := doer.Open(); n != 0 {
		t.Errorf("%d response bodies left open", n)
	}
	if n := api.newConns.Load(); n != 1 {
		t.Errorf("%d TCP connections for 3 attempts: discarded bodies must be drained so the connection is reused", n)
	}
}

func TestServerHintsAreHonouredAndCapped(t *testing.T) {
	date := func() string { return time.Now().Add(time.Hour).UTC().Format(http.TimeFormat) }
	retryAfterBody := func() string {
		return `{"title":"Service Unavailable","status":503,"retryAfter":"` + time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339) + `"}`
	}
	cases := []struct {
		name string
		step func(http.ResponseWriter, *http.Request)
		cap  time.Duration
	}{
		{"Retry-After seconds", status(429, "Retry-After", "3600"), 40 * time.Millisecond},
		{"Retry-After HTTP date", func(w http.ResponseWriter, r *http.Request) { status(503, "Retry-After", date())(w, r) }, 40 * time.Millisecond},
		{"problem retryAfter", func(w http.ResponseWriter, r *http.Request) { problem(w, 503, retryAfterBody()) }, 40 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t, sequence(tc.step, ok))
			logs := &testutil.LogRecorder{}
			rc := fastRetries()
			rc.MaxInterval = tc.cap
			ctx, cancel := context.WithTimeout(bg, 10*time.Second)
			defer cancel()
			_, err := api.newClient(t, client.WithRetryConfig(rc), client.WithLogger(slog.New(logs))).Connections.Get(ctx, getReq())
			if err != nil {
				t.Fatalf("an hour-long hint capped at %s must be waited for and retried: %v", tc.cap, err)
			}
			if w := logs.RetryWaits(); len(w) != 1 || w[0] != tc.cap {
				t.Errorf("waits %v, want [%s] (the hint, capped)", w, tc.cap)
			}
		})
	}
	t.Run("short hint replaces backoff", func(t *testing.T) {
		api := newFakeAPI(t, sequence(status(429, "Retry-After", "1"), ok))
		logs := &testutil.LogRecorder{}
		rc := fastRetries()
		rc.MaxInterval = 2 * time.Second
		if _, err := api.newClient(t, client.WithRetryConfig(rc), client.WithLogger(slog.New(logs))).Connections.Get(bg, getReq()); err != nil {
			t.Fatal(err)
		}
		if w := logs.RetryWaits(); len(w) != 1 || w[0] != time.Second {
			t.Errorf("waits %v, want [1s]", w)
		}
	})
}

func TestProblemRetryable(t *testing.T) {
	api := newFakeAPI(t, sequence(withBody(503, `{"title":"Service Unavailable","status":503,"retryable":false}`), ok))
	_, err := api.newClient(t).Connections.Get(bg, getReq())
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || len(api.requests()) != 1 {
		t.Errorf("retryable: false must stop at once: %v, %d attempts", err, len(api.requests()))
	}
	api = newFakeAPI(t, sequence(withBody(409, `{"title":"Conflict","status":409,"retryable":true}`), ok))
	if _, err := api.newClient(t).Connections.Get(bg, getReq()); err != nil || len(api.requests()) != 2 {
		t.Errorf("retryable: true must retry an unlisted status: %v, %d attempts", err, len(api.requests()))
	}
}

func TestExhaustedRetriesKeepTheLastError(t *testing.T) {
	api := newFakeAPI(t, sequence(withBody(500, `{"title":"Internal Server Error","status":500,"detail":"boom","requestId":"r-3"}`)))
	rc := fastRetries()
	rc.MaxAttempts = 3
	_, err := api.newClient(t, client.WithRetryConfig(rc)).Connections.Get(bg, getReq())
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || apiErr.Attempts != 3 || apiErr.Problem == nil ||
		apiErr.Problem.Detail != "boom" || len(apiErr.Body) == 0 || len(api.requests()) != 3 {
		t.Fatalf("err = %v (%+v), %d attempts", err, apiErr, len(api.requests()))
	}
	if want := "ampersand: getConnection: 500 Internal Server Error: boom (request r-3) after 3 attempts"; err.Error() != want {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestPerAttemptTimeoutIsRetried(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	api := newFakeAPI(t, sequence(hang, ok))
	conn, err := api.newClient(t, client.WithTimeout(50*time.Millisecond)).Connections.Get(bg, getReq())
	if err != nil || conn == nil || len(api.requests()) != 2 {
		t.Fatalf("%v, %d attempts", err, len(api.requests()))
	}
}

func TestCancelDuringBackoffReturnsAtOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		status(503, "Retry-After", "3600")(w, r)
		go func() { time.Sleep(20 * time.Millisecond); cancel() }() // cancel while the client waits
	})
	rc := fastRetries()
	rc.InitialInterval, rc.MaxInterval, rc.MaxElapsedTime = time.Hour, 2*time.Hour, 3*time.Hour
	_, err := api.newClient(t, client.WithRetryConfig(rc)).Connections.Get(ctx, getReq())
	// Had the client slept through the hour, the test would time out instead.
	var apiErr *client.APIError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Fatalf("err = %v: want context.Canceled that still carries the last APIError", err)
	}
}

func TestDeadlineShorterThanRetryAfterGivesUpAtOnce(t *testing.T) {
	api := newFakeAPI(t, sequence(status(429, "Retry-After", "30"), ok))
	rc := fastRetries()
	rc.MaxInterval = time.Minute
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	_, err := api.newClient(t, client.WithRetryConfig(rc)).Connections.Get(ctx, getReq())
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.Attempts != 1 || ctx.Err() != nil {
		t.Fatalf("err = %v, ctx.Err() = %v: want the 429 at once, before the deadline", err, ctx.Err())
	}
	if !errors.Is(err, client.ErrRateLimited) {
		t.Error("not ErrRateLimited")
	}
}

func TestGenerateIsNotIdempotent(t *testing.T) {
	t.Run("500 not retried", func(t *testing.T) {
		api := newFakeAPI(t, sequence(status(500), ok))
		_, err := api.newClient(t).Connections.Generate(bg, genReq)
		if !errors.As(err, new(*client.APIError)) || len(api.requests()) != 1 {
			t.Fatalf("%v, %d attempts", err, len(api.requests()))
		}
	})
	t.Run("503 retried", func(t *testing.T) {
		api := newFakeAPI(t, sequence(status(503), ok))
		if _, err := api.newClient(t).Connections.Generate(bg, genReq); err != nil || len(api.requests()) != 2 {
			t.Fatalf("%v, %d attempts", err, len(api.requests()))
		}
	})
	t.Run("429 retried", func(t *testing.T) {
		api := newFakeAPI(t, sequence(status(429), ok))
		if _, err := api.newClient(t).Connections.Generate(bg, genReq); err != nil || len(api.requests()) != 2 {
			t.Fatalf("%v, %d attempts", err, len(api.requests()))
		}
	})
	t.Run("500 with WithRetryNonIdempotent retried", func(t *testing.T) {
		api := newFakeAPI(t, sequence(status(500), ok))
		if _, err := api.newClient(t).Connections.Generate(bg, genReq, client.WithRetryNonIdempotent()); err != nil || len(api.requests()) != 2 {
			t.Fatalf("%v, %d attempts", err, len(api.requests()))
		}
	})
	t.Run("reset after sending not retried", func(t *testing.T) {
		api := newFakeAPI(t, sequence(reset, ok))
		_, err := api.newClient(t).Connections.Generate(bg, genReq)
		var ce *client.ConnectionError
		if !errors.As(err, &ce) || ce.Attempts != 1 || len(api.requests()) != 1 {
			t.Fatalf("%v, %d attempts", err, len(api.requests()))
		}
	})
	t.Run("reset retried for an idempotent operation", func(t *testing.T) {
		api := newFakeAPI(t, sequence(reset, ok))
		if _, err := api.newClient(t).Connections.Get(bg, getReq()); err != nil || len(api.requests()) != 2 {
			t.Fatalf("%v, %d attempts", err, len(api.requests()))
		}
	})
	t.Run("dial failure retried", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close() // nothing listens: every dial is refused
		generateRetriedThrice(t, client.WithServerURL("http://"+addr+"/v1"))
	})
	t.Run("TLS handshake failure retried", func(t *testing.T) {
		// The connection is dialed, then closed before TLS is up: the request was never written.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				conn.Close()
			}
		}()
		generateRetriedThrice(t, client.WithServerURL("https://"+l.Addr().String()+"/v1"))
	})
	// An HTTPDoer that is not net/http's reports no progress to the SDK's trace: the error's type alone says
	// that the request was never written.
	for name, cause := range map[string]error{
		"dial":          &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")},
		"proxy connect": &net.OpError{Op: "proxyconnect", Net: "tcp", Err: errors.New("connection refused")},
		"DNS":           &net.DNSError{Err: "server misbehaving", Name: "api.example", IsTemporary: true},
	} {
		t.Run(name+" from an opaque doer retried", func(t *testing.T) {
			doer := doerFunc(func(*http.Request) (*http.Response, error) { return nil, fmt.Errorf("opaque: %w", cause) })
			generateRetriedThrice(t, client.WithServerURL("https://api.example/v1"), client.WithHTTPClient(doer))
		})
	}
}

// generateRetriedThrice checks that a generate whose request was never written is retried: with opts, it
// fails with a *ConnectionError after its 3 attempts.
func generateRetriedThrice(t *testing.T, opts ...client.Option) {
	t.Helper()
	rc := fastRetries()
	rc.MaxAttempts = 3
	c, err := client.New(append([]client.Option{client.WithAPIKey(testKey), client.WithRetryConfig(rc)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Connections.Generate(bg, genReq)
	var ce *client.ConnectionError
	if !errors.As(err, &ce) || ce.Attempts != 3 {
		t.Fatalf("a request never written may be retried: %v", err)
	}
}

// doerFunc is an HTTPDoer that is a function.
type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(req *http.Request) (*http.Response, error) { return f(req) }

func TestOptionsApplyToEveryAttempt(t *testing.T) {
	api := newFakeAPI(t, sequence(status(503), ok))
	var edits int
	var last *http.Response
	_, err := api.newClient(t).Connections.Get(bg, getReq(),
		client.WithRequestEditor(func(_ context.Context, r *http.Request) error {
			edits++
			r.Header.Add("X-Attempt", strconv.Itoa(edits))
			return nil
		}),
		client.WithResponseInto(&last))
	if err != nil {
		t.Fatal(err)
	}
	reqs := api.requests()
	if edits != 2 || reqs[0].Header.Values("X-Attempt")[0] != "1" || len(reqs[1].Header.Values("X-Attempt")) != 1 {
		t.Errorf("editor: %d runs, headers %v / %v", edits, reqs[0].Header["X-Attempt"], reqs[1].Header["X-Attempt"])
	}
	if last == nil || last.StatusCode != 200 {
		t.Errorf("WithResponseInto: %+v", last)
	}
	if _, err := api.newClient(t).Connections.Get(bg, getReq(), client.WithRequestEditor(func(context.Context, *http.Request) error {
		return errors.New("no")
	})); err == nil || len(api.requests()) != 2 {
		t.Errorf("a failing editor must stop the call before sending: %v", err)
	}
}

// A request that a request editor makes unsendable (a scheme other than http or https, a header name or value
// that is not valid HTTP) is refused before any I/O with a *ValidationError, never retried.
func TestUnsendableRequestIsRefusedBeforeSending(t *testing.T) {
	api := newFakeAPI(t, sequence(ok))
	for name, edit := range map[string]func(*http.Request){
		"scheme":       func(r *http.Request) { r.URL.Scheme = "ftp" },
		"header name":  func(r *http.Request) { r.Header["X Bad"] = []string{"v"} },
		"empty name":   func(r *http.Request) { r.Header[""] = []string{"v"} },
		"non-ASCII":    func(r *http.Request) { r.Header["X-Caf\u00e9"] = []string{"v"} },
		"header value": func(r *http.Request) { r.Header.Set("X-Trace", "a\nb") },
		"DEL in value": func(r *http.Request) { r.Header.Set("X-Trace", "a\x7fb") },
	} {
		_, err := api.newClient(t, client.WithRetryConfig(fastRetries())).Connections.Get(bg, getReq(),
			client.WithRequestEditor(func(_ context.Context, r *http.Request) error { edit(r); return nil }))
		var invalid *client.ValidationError
		if !errors.As(err, &invalid) || len(api.requests()) != 0 {
			t.Errorf("%s: err = %v, %d requests; want a *ValidationError and none sent", name, err, len(api.requests()))
		}
	}
	if _, err := api.newClient(t).Connections.Get(bg, getReq(), client.WithRequestEditor(func(_ context.Context, r *http.Request) error {
		r.Header.Set("X-Trace", "tab\tand spaces ok")
		return nil
	})); err != nil {
		t.Errorf("a valid header value was refused: %v", err)
	}
}

// MaxElapsedTime applies only with RetryBackoff: WithoutRetries leaves the single attempt to the context and
// WithTimeout, however short the configured MaxElapsedTime.
func TestMaxElapsedTimeDoesNotApplyWithoutRetries(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { reply(w, 200, "application/json", connJSON) })
	rc := fastRetries()
	rc.MaxElapsedTime = time.Nanosecond // over before the attempt starts
	c := api.newClient(t, client.WithRetryConfig(rc), client.WithoutRetries())
	if _, err := c.Connections.Get(bg, client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "conn-1"}); err != nil {
		t.Fatalf("Get without retries: %v; MaxElapsedTime must not bound it", err)
	}
}

// WithResponseInto holds the last reply the call received: a later attempt that got none (a reset connection)
// does not erase it.
func TestResponseIntoKeepsTheLastReply(t *testing.T) {
	api := newFakeAPI(t, sequence(status(503), reset))
	rc := fastRetries()
	rc.MaxAttempts = 2
	var last *http.Response
	_, err := api.newClient(t, client.WithRetryConfig(rc)).Connections.Get(bg, getReq(), client.WithResponseInto(&last))
	var connErr *client.ConnectionError
	if !errors.As(err, &connErr) || connErr.Attempts != 2 {
		t.Fatalf("%v; want a *ConnectionError after 2 attempts", err)
	}
	if last == nil || last.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("WithResponseInto: %+v; want the 503 of the first attempt", last)
	}
}

// MaxElapsedTime bounds the attempt in flight also under a longer WithTimeout: whichever ends first cuts it.
func TestMaxElapsedTimeCutsAnAttemptUnderALongerTimeout(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { reply(w, 200, "application/json", connJSON) })
	rc := fastRetries()
	rc.MaxElapsedTime = time.Nanosecond // over before the attempt starts
	c := api.newClient(t, client.WithRetryConfig(rc), client.WithTimeout(time.Hour))
	_, err := c.Connections.Get(bg, getReq())
	var connErr *client.ConnectionError
	if !errors.As(err, &connErr) || !connErr.Timeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%v; want a timed-out *ConnectionError: the call's MaxElapsedTime ends before WithTimeout", err)
	}
}

// MaxElapsedTime ends the call while an error reply is being read: the error says so, matches
// context.DeadlineExceeded, and still holds the reply read so far.
func TestMaxElapsedTimeWhileReadingAnErrorBody(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "10000")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(strings.Repeat("x", 100)))
		_ = http.NewResponseController(w).Flush()
		<-r.Context().Done() // the rest never comes
	})
	rc := fastRetries()
	rc.MaxElapsedTime = 200 * time.Millisecond
	_, err := api.newClient(t, client.WithRetryConfig(rc)).Connections.Get(bg, getReq())
	var apiErr *client.APIError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &apiErr) || apiErr.StatusCode != 502 || len(apiErr.Body) != 100 ||
		!strings.Contains(err.Error(), "MaxElapsedTime") {
		t.Fatalf("err = %v; want DeadlineExceeded, naming MaxElapsedTime, and the 502 with its 100 bytes", err)
	}
}

// A body that breaks off just after its limit's last byte (when the SDK checks that nothing more follows) is a
// connection that broke off, retried like one; it is not a malformed body.
func TestBodyBrokenOffAtItsLimitIsRetried(t *testing.T) {
	api := newFakeAPI(t, sequence(func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
			strconv.Itoa(len(connJSON)+100) + "\r\n\r\n" + connJSON)
		_ = buf.Flush()
		_ = conn.(*net.TCPConn).SetLinger(0)
		_ = conn.Close()
	}, ok))
	conn, err := api.newClient(t).Connections.Get(bg, getReq(), client.WithMaxResponseBytes(int64(len(connJSON))))
	if err != nil || conn.ID != "conn-1" || len(api.requests()) != 2 {
		t.Fatalf("%v after %d requests; want the retry's connection", err, len(api.requests()))
	}
}
