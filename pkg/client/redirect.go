package client

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

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

// isLoopback reports whether host is a loopback host that net/http never sends through a proxy from the
// environment: the exact name localhost, or a loopback IP (127.0.0.0/8, ::1). Other spellings (LOCALHOST,
// localhost., api.localhost) go to HTTP_PROXY, and a name other than localhost may resolve anywhere.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}
