package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// checkServerURL refuses, in the words of amp's flags, a server URL that the SDK would refuse in those of its
// options: one that is not an absolute http or https URL, saying what would work (a bare "127.0.0.1:8080"
// becomes the suggestion "http://127.0.0.1:8080/v1"), and plain http to a host that is not loopback without
// --insecure-http (insecure).
func checkServerURL(raw string, insecure bool) error {
	u, err := url.Parse(raw)
	if err == nil && u.Host != "" && u.Scheme == "http" && !insecure && !isLoopbackHost(u.Hostname()) {
		return errors.New("plain http to a host that is not loopback would send the API key in cleartext; use https, or --insecure-http to allow it")
	}
	if err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") {
		return nil
	}
	if err == nil && u.Host != "" {
		return fmt.Errorf("want an http or https URL, such as %s", client.DefaultServerURL)
	}
	if !strings.Contains(raw, "://") {
		if v, err := url.Parse("http://" + raw); err == nil && v.Host != "" {
			if v.Path == "" || v.Path == "/" {
				v.Path = apiBasePath
			}
			return fmt.Errorf("want a URL with its scheme, such as %s", v)
		}
	}
	return fmt.Errorf("want an absolute http or https URL, such as %s", client.DefaultServerURL)
}

// apiBasePath is the path under which the Ampersand API is, in its URL and amp fake serve's.
const apiBasePath = "/v1"

// v1Hint returns a line for a 404 received through a server URL whose path does not end in /v1 — every
// operation is under it — or "".
func (a *app) v1Hint(err error) string {
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound || a.server == "" {
		return ""
	}
	u, perr := url.Parse(a.server)
	if perr != nil || strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), apiBasePath) {
		return ""
	}
	fixed := strings.TrimSuffix(a.server, "/") + apiBasePath
	return fmt.Sprintf("  %-11s the server URL %s has no %s, under which the API is: try --server-url %s\n",
		"Hint:", clean(a.server), apiBasePath, clean(fixed))
}
