package client

import (
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"
)

// Client is the entry point of the SDK. Create it once with New and share it: it is safe for concurrent use.
type Client struct {
	// Connections lists, generates, gets, updates and deletes connections.
	Connections *ConnectionsService

	cfg config
}

// ConnectionsService groups the connection operations. Each method is the same implementation as the
// standalone function of the same name (Connections.List is ConnectionsList).
type ConnectionsService struct{ client *Client }

// New returns a Client configured by opts. The API key comes from WithAPIKey, else from the
// AMPERSAND_API_KEY environment variable; without one New fails. Every option can also be given to a
// single call to override the client's setting for that call.
func New(opts ...Option) (*Client, error) {
	c := &Client{cfg: config{
		retry:        DefaultRetryConfig(),
		maxBodyBytes: DefaultMaxResponseBytes,
	}}
	c.cfg.server, _ = parseServerURL(DefaultServerURL)
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&c.cfg); err != nil {
			return nil, err
		}
	}
	if c.cfg.apiKey == "" {
		key := strings.TrimSpace(os.Getenv("AMPERSAND_API_KEY"))
		if key == "" {
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
	c.Connections = &ConnectionsService{client: c}
	return c, nil
}

// check enforces the rules that span options.
func (c *config) check() error {
	if !c.server.https && !c.server.loop && !c.insecureHTTP {
		return &ValidationError{Field: "ServerURL", Reason: "plain http to a host that is not loopback would send the API key in cleartext; use https, or WithInsecureHTTP to allow it"}
	}
	return nil
}

// forCall returns the client's configuration with a call's options applied; the client's is not changed.
// Without options it is the client's own, which callers only read.
func (c *Client) forCall(opts []Option) (*config, error) {
	if len(opts) == 0 {
		return &c.cfg, nil
	}
	cfg := c.cfg
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// userAgent names the SDK, its version, the Go version and the platform.
var userAgent = "ampersand-go/" + Version + " (" + runtime.Version() + "; " + runtime.GOOS + "/" + runtime.GOARCH + ")"

// newDefaultHTTPClient returns the client used without WithHTTPClient: bounded dial, TLS and response-header
// timeouts, and an idle pool large enough that many goroutines sharing one Client reuse connections instead
// of opening new ones (Go's default keeps only 2 idle connections per host).
func newDefaultHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 90 * time.Second,
			ExpectContinueTimeout: 1 * time.Second,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   128,
			IdleConnTimeout:       90 * time.Second,
		},
		CheckRedirect: checkRedirect(nil),
	}
}

// guardRedirects returns a copy of hc whose redirect policy drops the API key on hops to other origins.
func guardRedirects(hc *http.Client) *http.Client {
	cp := *hc
	cp.CheckRedirect = checkRedirect(hc.CheckRedirect)
	return &cp
}

// checkRedirect is a redirect policy: at most 10 hops (Go's default), and the X-Api-Key header (which Go
// copies to every host) only on hops to the origin of the chain's first request — the configured server;
// an https→http hop is another origin. Then next, the caller's own policy, if any.
func checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) == 0 || via[0] == nil || origin(req.URL) != origin(via[0].URL) {
			req.Header.Del("X-Api-Key")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errTooManyRedirects
		}
		return nil
	}
}

type redirectError string

func (e redirectError) Error() string { return string(e) }

const errTooManyRedirects = redirectError("stopped after 10 redirects")

// origin renders scheme://host:port in lower case with the scheme's default port made explicit.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// isLoopback reports whether host names this machine without DNS: localhost, *.localhost, 127.0.0.0/8, ::1.
func isLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
