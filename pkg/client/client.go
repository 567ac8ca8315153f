package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"
)

// Client is the entry point of the SDK. Create it once with New and share it: it is safe for concurrent use.
// Printing a Client (with any fmt verb) shows its server and never its API key.
type Client struct {
	// Connections lists, generates, gets, updates and deletes connections, and drives custom auth flows.
	Connections *ConnectionsService
	// OAuth starts the OAuth flows that create or re-authorize a connection.
	OAuth *OAuthService

	cfg config
}

// ConnectionsService groups the connection operations. Each method is the same implementation as the
// standalone function of the same name (Connections.List is ConnectionsList).
type ConnectionsService struct{ client *Client }

// New returns a Client configured by opts. The API key comes from WithAPIKey, else from the
// AMPERSAND_API_KEY environment variable; without one New fails. The server URL comes from WithServerURL,
// else from the AMPERSAND_SERVER_URL environment variable (an invalid one is an error naming it), else
// DefaultServerURL. Every option can also be given to a single call to override the client's setting for
// that call. The client's retry budget (see RetryConfig.BudgetCapacity) is created here, from the client's
// RetryConfig.
func New(opts ...Option) (*Client, error) {
	c := &Client{cfg: config{retry: retrier{RetryConfig: DefaultRetryConfig()}}}
	c.cfg.server, _ = parseServerURL(DefaultServerURL)
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&c.cfg); err != nil {
			return nil, err
		}
	}
	if raw := strings.TrimSpace(os.Getenv(envServerURL)); !c.cfg.serverSet && raw != "" {
		s, err := parseServerURL(raw)
		if err != nil {
			var v *ValidationError
			if errors.As(err, &v) {
				return nil, &ValidationError{Field: envServerURL + " (environment)", Reason: v.Reason}
			}
			return nil, err
		}
		c.cfg.server = s
	}
	if c.cfg.key == nil {
		key := os.Getenv(envAPIKey)
		if strings.TrimSpace(key) == "" {
			return nil, &ValidationError{Field: "APIKey", Reason: "no API key: use WithAPIKey or set AMPERSAND_API_KEY"}
		}
		if err := WithAPIKey(key)(&c.cfg); err != nil {
			return nil, err
		}
	}
	if c.cfg.doer == nil {
		c.cfg.doer = newDefaultHTTPClient()
	}
	if err := c.cfg.check(); err != nil {
		return nil, err
	}
	c.cfg.link()
	if rc := c.cfg.retry; rc.Strategy == RetryBackoff && rc.BudgetCapacity > 0 {
		c.cfg.retry.bucket = &bucket{tokens: rc.BudgetCapacity, capacity: rc.BudgetCapacity}
	}
	c.Connections = &ConnectionsService{client: c}
	c.OAuth = &OAuthService{client: c}
	return c, nil
}

// The environment variables New reads.
const (
	envAPIKey    = "AMPERSAND_API_KEY"
	envServerURL = "AMPERSAND_SERVER_URL"
)

// CloseIdleConnections closes the idle keep-alive connections of the client's HTTP client (its goroutines
// end with them), as http.Client.CloseIdleConnections does; calls in progress are not affected, and later
// calls open new connections. It does nothing for an HTTPDoer without a CloseIdleConnections method.
func (c *Client) CloseIdleConnections() {
	if c == nil {
		return
	}
	if d, ok := c.cfg.doer.(interface{ CloseIdleConnections() }); ok {
		d.CloseIdleConnections()
	}
}

// String describes the client without its API key.
func (c *Client) String() string {
	if c == nil || c.cfg.server == nil {
		return "client.Client(nil)"
	}
	return fmt.Sprintf("client.Client{server: %s, apiKey: %s}", c.cfg.server.prefix, redacted)
}

// GoString is String: %#v never prints the key either.
func (c *Client) GoString() string { return c.String() }

// Format prints String for every verb, so that no fmt verb reaches the fields.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// check enforces the rules that span options. The key goes over plain http only on a connection straight to
// a loopback host: not to another host, and not through a proxy, which would read it (the HTTP client's own
// Proxy function decides, for the SDK's client and any *http.Client over an *http.Transport).
func (c *config) check() error {
	if c.server.https || c.insecureHTTP {
		return nil
	}
	if !c.server.loop {
		return &ValidationError{Field: "ServerURL", Reason: "plain http to a host that is not loopback (localhost or a loopback IP) would send the API key in cleartext; use https, or WithInsecureHTTP to allow it"}
	}
	if p := proxyFor(c.doer, c.server.url); p != nil {
		return &ValidationError{Field: "ServerURL", Reason: "plain http through the proxy " + p.Host + " would send it the API key in cleartext; exclude the host from the proxy (NO_PROXY), use https, or WithInsecureHTTP to allow it"}
	}
	return nil
}

// proxyFor returns the proxy through which doer would send a request for u: what the Proxy function of its
// transport says, for an *http.Client over an *http.Transport (http.DefaultTransport when it has none); nil
// for any other doer, whose connections the SDK cannot see.
func proxyFor(doer HTTPDoer, u *url.URL) *url.URL {
	hc, _ := doer.(*http.Client)
	if hc == nil {
		return nil
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	if t, _ := rt.(*http.Transport); t != nil && t.Proxy != nil {
		p, _ := t.Proxy(&http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}})
		return p
	}
	return nil
}

// forCall returns the client's configuration with a call's options applied to a clone; the client's is not
// changed. Without options it is the client's own, which callers only read.
func (c *Client) forCall(ctx context.Context, opts []Option) (*config, error) {
	if c == nil || c.cfg.server == nil {
		return nil, &ValidationError{Field: "Client", Reason: "is nil or was not made by client.New"}
	}
	if ctx == nil {
		return nil, &ValidationError{Field: "ctx", Reason: "is nil: pass context.Background() or a request's context"}
	}
	if len(opts) == 0 {
		return &c.cfg, nil
	}
	cfg := c.cfg.clone()
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(cfg); err != nil {
			return nil, err
		}
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg.link()
	return cfg, nil
}

// userAgent names the SDK, its version, the Go version and the platform.
var userAgent = "ampersand-go/" + Version + " (" + runtime.Version() + "; " + runtime.GOOS + "/" + runtime.GOARCH + ")"

// newDefaultHTTPClient returns the client used without WithHTTPClient: bounded dial, TLS and response-header
// timeouts, response headers of at most 1 MiB, and an idle pool large enough that many goroutines sharing
// one Client reuse connections instead of opening new ones (Go's default keeps only 2 idle connections per
// host).
func newDefaultHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                  http.ProxyFromEnvironment,
			DialContext:            dialer.DialContext,
			ForceAttemptHTTP2:      true,
			TLSHandshakeTimeout:    10 * time.Second,
			ResponseHeaderTimeout:  90 * time.Second,
			ExpectContinueTimeout:  1 * time.Second,
			MaxResponseHeaderBytes: 1 << 20,
			MaxIdleConns:           256,
			MaxIdleConnsPerHost:    128,
			IdleConnTimeout:        90 * time.Second,
		},
		CheckRedirect: checkRedirect(nil),
	}
}
