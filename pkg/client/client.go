package client

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
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
	if err := c.cfg.apply(opts); err != nil {
		return nil, err
	}
	if c.cfg.server == nil { // no WithServerURL
		s, err := parseServerURL(envServerURL+" (environment)", cmp.Or(strings.TrimSpace(os.Getenv(envServerURL)), DefaultServerURL))
		if err != nil {
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
	if err := cfg.apply(opts); err != nil {
		return nil, err
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
