package client

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// The server the SDK talks to, and the rules that keep the API key to it: it goes to the configured
// server's origin only (not to a redirect target on another origin), over plain http only on a direct
// connection to a loopback host, and a request body never follows a redirect to another origin.

// serverURL is a validated base URL and the origin the API key may go to.
type serverURL struct {
	prefix string // the URL without a trailing "/": routes are appended to it
	origin string // scheme://host:port, lower case, explicit port
	url    *url.URL
	https  bool
	loop   bool // the host is loopback (see isLoopback)
}

// parseServerURL validates raw; an error names field (the option or environment variable it came from).
func parseServerURL(field, raw string) (*serverURL, error) {
	bad := func(reason string) error { return &ValidationError{Field: field, Reason: reason} }
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, bad(err.Error())
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, bad(fmt.Sprintf("%q: must be an absolute http or https URL", raw))
	case u.Host == "" || u.Hostname() == "":
		return nil, bad(fmt.Sprintf("%q has no host", raw))
	case u.User != nil:
		return nil, bad("must not contain credentials")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, bad(fmt.Sprintf("%q must not have a query or fragment", raw))
	}
	return &serverURL{prefix: strings.TrimSuffix(raw, "/"), origin: origin(u), url: u, https: u.Scheme == "https", loop: isLoopback(u.Hostname())}, nil
}

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

// origin renders scheme://host:port in lower case with the scheme's default port made explicit.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// isLoopback reports whether host is a loopback host that net/http never sends through a proxy from the
// environment: the exact name localhost, or a loopback IP (127.0.0.0/8, ::1). Other spellings (LOCALHOST,
// localhost., api.localhost) go to HTTP_PROXY, and a name other than localhost may resolve anywhere.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// guardRedirects returns a copy of hc whose redirect policy is checkRedirect's.
func guardRedirects(hc *http.Client) *http.Client {
	cp := *hc
	cp.CheckRedirect = checkRedirect(hc.CheckRedirect)
	return &cp
}

// checkRedirect is the redirect policy of every *http.Client the SDK sends with; then next, the caller's own
// policy, if any:
//
//   - the X-Api-Key header (which Go copies to every host) goes only on hops to the origin of the chain's
//     first request — the configured server; an https→http hop is another origin;
//   - a request with a body is never redirected to another origin, which would receive the body (a
//     generate's credential, an update's password): the redirect reply is returned instead, and becomes an
//     *APIError naming its status and the target origin;
//   - at most 10 hops (Go's default).
func checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) == 0 || via[0] == nil || origin(req.URL) != origin(via[0].URL) {
			req.Header.Del("X-Api-Key")
			if len(via) == 0 || via[0] == nil || hasBody(via[0]) {
				return http.ErrUseLastResponse
			}
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

// hasBody reports whether req sends a body.
func hasBody(req *http.Request) bool {
	return req.GetBody != nil || req.ContentLength > 0 || req.Body != nil && req.Body != http.NoBody
}

// refusedRedirect returns the origin of the redirect target of resp when checkRedirect refused to follow it
// (a request with a body, to another origin than server's), else "".
func refusedRedirect(resp *http.Response, server string) string {
	if resp.StatusCode < 300 || resp.StatusCode > 399 || resp.Request == nil || !hasBody(resp.Request) {
		return ""
	}
	loc, err := resp.Location()
	if err != nil || origin(loc) == server {
		return ""
	}
	return origin(loc)
}

// redirectError is the error of a redirect chain that went on too long; the retry policy knows it by its type.
type redirectError string

func (e redirectError) Error() string { return string(e) }

const errTooManyRedirects = redirectError("stopped after 10 redirects")
