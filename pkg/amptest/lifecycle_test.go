package amptest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawConn opens a TCP connection to srv for hand-written HTTP/1.1.
func rawConn(t *testing.T, srv *Server) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.origin, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second)) // a bound on a hung test, not a timed assertion
	return c, bufio.NewReader(c)
}

// A request whose body cannot be read in full — bad chunk framing, a chunked body cut short, a body shorter
// than its Content-Length — is answered 400 (or the connection closes), never 200: a client under test must
// not see success for an operation that never ran (issue 19, item 14).
func TestBrokenRequestBodyIsNeverASuccess(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	t.Cleanup(srv.Close)
	head := "POST /v1/projects/p/connections:generate HTTP/1.1\r\nHost: x\r\nX-Api-Key: " + srv.APIKey +
		"\r\nContent-Type: application/json\r\n"
	body := `{"provider":"hubspot","groupRef":"g","consumerRef":"c","apiKey":"k"}`
	for name, req := range map[string]string{
		"bad chunk framing":               head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n" + body + "\r\n0\r\n\r\n",
		"chunked body cut short":          head + "Transfer-Encoding: chunked\r\n\r\n" + fmt.Sprintf("%x\r\n", len(body)+50) + body,
		"shorter than its Content-Length": head + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)+50) + body,
	} {
		t.Run(name, func(t *testing.T) {
			c, br := rawConn(t, srv)
			if _, err := io.WriteString(c, req); err != nil {
				t.Fatal(err)
			}
			_ = c.(*net.TCPConn).CloseWrite() // the client is done: what it sent is all there is
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				return // closed without a reply: acceptable, it is no success
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(got), "request body") {
				t.Errorf("%s: %d %s, want a 400 problem about the body", name, resp.StatusCode, got)
			}
		})
	}
	if n := len(srv.Connections("p")); n != 0 {
		t.Errorf("%d connections stored from broken bodies", n)
	}
}

// Close returns although a client stalls in the middle of a request body: it waits a bounded grace period,
// then closes the connections (issue 19, item 12). 100-continue proves the handler is reading the body.
func TestCloseDoesNotWaitForAStalledBody(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	c, br := rawConn(t, srv)
	_, err := io.WriteString(c, "POST /v1/projects/p/connections:generate HTTP/1.1\r\nHost: x\r\nX-Api-Key: "+srv.APIKey+
		"\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if line, err := br.ReadString('\n'); err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("no 100 Continue: %q %v", line, err)
	}
	if _, err := io.WriteString(c, `{"provider":`); err != nil { // then nothing more
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(30 * time.Second): // a bound on a hang, far above the grace period
		t.Fatal("Close still waits for the stalled client")
	}
}

// A listener on every interface (0.0.0.0 or [::], the container case) gives a URL that a client on the same
// host can use — loopback — not http://[::]:PORT (issue 19, item 15).
func TestURLOfAWildcardListenerIsLoopback(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0") // tests listen on loopback only: the wildcard is its reported address
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	for _, ip := range []net.IP{net.IPv4zero, net.IPv6unspecified} {
		if got := originOf(&net.TCPAddr{IP: ip, Port: port}); got != fmt.Sprintf("http://127.0.0.1:%d", port) {
			t.Errorf("origin of %s = %s", ip, got)
		}
	}
	srv := NewServer(WithListener(wildcardListener{l}))
	t.Cleanup(srv.Close)
	if want := fmt.Sprintf("http://127.0.0.1:%d/v1", port); srv.URL != want {
		t.Fatalf("URL = %s, want %s", srv.URL, want)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/projects/p/connections", nil)
	req.Header.Set("X-Api-Key", srv.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d from the printed URL", resp.StatusCode)
	}
}

// wildcardListener is a loopback listener that reports the address [::]:PORT, as one on every interface does.
type wildcardListener struct{ net.Listener }

func (l wildcardListener) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IPv6unspecified, Port: l.Listener.Addr().(*net.TCPAddr).Port}
}

// The recorder is a ring: it keeps the last RecordedRequests requests, each body cut to RecordedBodyBytes
// with its full size kept, so that a long-running fake does not grow (issue 19, item 13).
func TestRecorderIsBounded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	big := strings.Repeat("x", RecordedBodyBytes+100)
	h.send(http.MethodPost, generatePath("p"), big)
	for i := range RecordedRequests {
		h.send(http.MethodGet, connectionsPath("p")+fmt.Sprintf("?provider=p%d", i), nil)
	}
	got := h.srv.Requests()
	if len(got) != RecordedRequests {
		t.Fatalf("%d requests kept, want the last %d", len(got), RecordedRequests)
	}
	if got[0].RawQuery != "provider=p0" || got[len(got)-1].RawQuery != fmt.Sprintf("provider=p%d", RecordedRequests-1) {
		t.Errorf("kept %q … %q, want the most recent in arrival order", got[0].RawQuery, got[len(got)-1].RawQuery)
	}

	h.srv.ResetRequests()
	h.send(http.MethodPost, generatePath("p"), big)
	got = h.srv.Requests()
	if len(got) != 1 || len(got[0].Body) != RecordedBodyBytes || got[0].BodySize != int64(len(big)) {
		t.Fatalf("recorded %d requests, body %d bytes of %d", len(got), len(got[0].Body), got[0].BodySize)
	}

	// Requests with huge headers are dropped sooner, so that what is kept stays within RecordedBytes.
	h.srv.ResetRequests()
	const n, header = 100, 512 << 10 // 50 MiB of headers in all
	for i := range n {
		h.send(http.MethodGet, connectionsPath("p")+fmt.Sprintf("?provider=p%d", i), nil, withHeaderValue("X-Big", strings.Repeat("h", header)))
	}
	got = h.srv.Requests()
	if len(got) == 0 || len(got)*header > RecordedBytes || got[len(got)-1].RawQuery != fmt.Sprintf("provider=p%d", n-1) {
		t.Fatalf("kept %d requests of %d KiB headers, want the last ones within %d MiB", len(got), header>>10, RecordedBytes>>20)
	}
}

// A test suite in any language reads and resets the recorder over HTTP, under /_amptest/, with the API key;
// those requests are not themselves recorded.
func TestRecorderOverHTTP(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.send(http.MethodPost, generatePath("p"), apiKeyParams("r"), withHeaderValue("X-Trace", "t1"))
	h.send(http.MethodGet, connectionsPath("p")+"?provider=x", nil)

	origin := strings.TrimSuffix(h.srv.URL, "/v1")
	do := func(method, path, key string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), method, origin+path, nil)
		if key != "" {
			req.Header.Set("X-Api-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}

	resp, body := do(http.MethodGet, RequestsPath, h.srv.APIKey)
	var got []struct {
		Operation, Method, Path, RawQuery, Body string
		Header                                  http.Header
		BodySize                                int64
		Time                                    time.Time
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &got) != nil || len(got) != 2 {
		t.Fatalf("GET %s: %d %s", RequestsPath, resp.StatusCode, body)
	}
	if got[0].Operation != string(OpGenerateConnection) || got[0].Method != "POST" || !strings.Contains(got[0].Body, `"apiKey":"key-r"`) ||
		got[0].BodySize != int64(len(got[0].Body)) || got[0].Header.Get("X-Api-Key") != Redacted || got[0].Header.Get("X-Trace") != "t1" ||
		got[1].Path != "/v1/projects/p/connections" || got[1].RawQuery != "provider=x" || got[1].Time.IsZero() {
		t.Errorf("GET %s = %s", RequestsPath, body)
	}

	if resp, body := do(http.MethodGet, RequestsPath, "wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("with a wrong key: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(http.MethodPost, RequestsPath, h.srv.APIKey); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", resp.StatusCode)
	}
	if resp, _ := do(http.MethodGet, "/_amptest/nothing", h.srv.APIKey); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown control path: %d, want 404", resp.StatusCode)
	}
	if resp, body := do(http.MethodDelete, RequestsPath, h.srv.APIKey); resp.StatusCode != http.StatusNoContent {
		t.Errorf("DELETE %s: %d %s", RequestsPath, resp.StatusCode, body)
	}
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("%d requests after the reset over HTTP (control requests must not be recorded)", n)
	}
}

// A request outside /v1 — a server URL without it — is told where the API is (issue 20, item 7).
func TestNotFoundOutsideV1SaysWhereTheAPIIs(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(srv.URL, "/v1")+"/projects/p/connections", nil)
	req.Header.Set("X-Api-Key", srv.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "every operation is under /v1") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}
