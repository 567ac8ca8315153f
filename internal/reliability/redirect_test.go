package reliability_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// hop is one request a redirect test's server received.
type hop struct {
	https bool
	key   string
}

// hops records the requests of a redirect test.
type hops struct {
	mu   sync.Mutex
	list []hop
}

func (h *hops) add(r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.list = append(h.list, hop{https: r.TLS != nil, key: r.Header.Get("X-Api-Key")})
}

func (h *hops) get() []hop {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hop(nil), h.list...)
}

// redirectOnce answers the first request with a 307 to target()+the same path, and the others with a
// connection. Every request is recorded in seen.
func redirectOnce(seen *hops, target func() string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		seen.add(r)
		if !strings.HasSuffix(r.URL.Path, "/moved") {
			http.Redirect(w, r, target()+r.URL.Path+"/moved", http.StatusTemporaryRedirect)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(connJSON))
	}
}

// getVia calls getConnection at serverURL with the canary key, with hc (copied and guarded by the SDK), or
// with the SDK's default client when hc is nil.
func getVia(t *testing.T, serverURL string, hc *http.Client) {
	t.Helper()
	opts := []client.Option{client.WithServerURL(serverURL), client.WithAPIKey(canary), client.WithoutRetries()}
	if hc != nil {
		t.Cleanup(hc.CloseIdleConnections)
		opts = append(opts, client.WithHTTPClient(hc))
	}
	c, err := client.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"}); err != nil {
		t.Fatal(err)
	}
}

func freshHTTPClient() *http.Client {
	return &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
}

// A redirect to another host drops the key; one to the same origin keeps it.
func TestRedirectKeyScope(t *testing.T) {
	for name, hc := range map[string]*http.Client{"caller's client": freshHTTPClient(), "default client": nil} {
		t.Run("cross-host drops the key, "+name, func(t *testing.T) {
			var first, second hops
			other := httptest.NewServer(redirectOnce(&second, nil))
			t.Cleanup(other.Close)
			// Another host name on the same IP: 127.0.0.1 → localhost.
			target := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
			api := httptest.NewServer(redirectOnce(&first, func() string { return target }))
			t.Cleanup(api.Close)
			getVia(t, api.URL+"/v1", hc)
			if f, s := first.get(), second.get(); len(f) != 1 || f[0].key != canary || len(s) != 1 || s[0].key != "" {
				t.Errorf("hops: configured server %+v, other host %+v; want the key only at the first", f, s)
			}
		})
	}
	t.Run("same origin keeps the key", func(t *testing.T) {
		var seen hops
		var api *httptest.Server
		api = httptest.NewServer(redirectOnce(&seen, func() string { return api.URL }))
		t.Cleanup(api.Close)
		getVia(t, api.URL+"/v1", freshHTTPClient())
		if h := seen.get(); len(h) != 2 || h[0].key != canary || h[1].key != canary {
			t.Errorf("hops %+v; want the key on both", h)
		}
	})
}

// A redirect that changes only the scheme — https://127.0.0.1:P to http://127.0.0.1:P, the same host and
// port — drops the key: the plaintext hop must never carry it. The reverse (http → https on the same
// host:port) is another origin too and drops it as well. One listener serves both schemes on one port by
// sniffing the first byte of each connection (0x16 starts a TLS handshake).
func TestRedirectSchemeChangeOnSameHostPort(t *testing.T) {
	serverTLS, roots := testCertificate(t)
	for _, tc := range []struct {
		name     string
		from, to string
	}{
		{"https to http", "https", "http"},
		{"http to https", "http", "https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen hops
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			srv := &http.Server{Handler: redirectOnce(&seen, func() string { return tc.to + "://" + addr }), ReadHeaderTimeout: 10 * time.Second}
			served := make(chan error, 1)
			go func() { served <- srv.Serve(&sniffListener{Listener: ln, tls: serverTLS}) }()
			t.Cleanup(func() {
				_ = srv.Close()
				if err := <-served; !errors.Is(err, http.ErrServerClosed) {
					t.Errorf("serve: %v", err)
				}
			})
			hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
			getVia(t, tc.from+"://"+addr+"/v1", hc)
			h := seen.get()
			if len(h) != 2 || h[0].https != (tc.from == "https") || h[1].https != (tc.to == "https") {
				t.Fatalf("hops %+v; want %s then %s on %s", h, tc.from, tc.to, addr)
			}
			if h[0].key != canary || h[1].key != "" {
				t.Errorf("keys %q then %q; want the key on the first hop only", h[0].key, h[1].key)
			}
		})
	}
}

// testCertificate returns a server TLS config with httptest's certificate (valid for 127.0.0.1) and a pool
// that trusts it.
func testCertificate(t *testing.T) (*tls.Config, *x509.CertPool) {
	ts := httptest.NewTLSServer(http.NotFoundHandler())
	defer ts.Close()
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	return &tls.Config{Certificates: ts.TLS.Certificates, NextProtos: []string{"http/1.1"}}, roots
}

// sniffListener serves TLS or plain HTTP on one port, by the first byte each connection sends.
type sniffListener struct {
	net.Listener
	tls *tls.Config
}

func (l *sniffListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(conn)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	first, err := br.Peek(1)
	_ = conn.SetReadDeadline(time.Time{})
	peeked := &peekedConn{Conn: conn, r: br}
	if err == nil && first[0] == 0x16 {
		return tls.Server(peeked, l.tls), nil
	}
	return peeked, nil
}

// peekedConn is a connection whose first bytes were read ahead into r.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
