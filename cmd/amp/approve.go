package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// approve GETs an authorization URL of a loopback fake as a browser would, and returns the ID of the
// connection the consent created or re-authorized (the fake's X-Amptest-Connection-Id header).
func approve(ctx context.Context, raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme != "http" || !isLoopbackHost(u.Hostname()) {
		return "", usageErrorf("%q is not a URL of amp fake serve (http on loopback)", raw)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	// The fake answers the consent itself; should a reply redirect, it is followed only to loopback.
	hc := &http.Client{CheckRedirect: func(next *http.Request, _ []*http.Request) error {
		if !isLoopbackHost(next.URL.Hostname()) {
			return fmt.Errorf("refusing to follow a redirect to %s, which is not loopback", next.URL.Host)
		}
		return nil
	}}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("opening the authorization URL: %w", err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	id := resp.Header.Get("X-Amptest-Connection-Id")
	if resp.StatusCode != http.StatusOK || id == "" {
		return "", fmt.Errorf("the consent failed: %d %s: %s", resp.StatusCode, http.StatusText(resp.StatusCode), strings.TrimSpace(htmlText(string(page))))
	}
	return id, nil
}

// isLoopbackHost reports whether host (a URL's Hostname: no port, no brackets) is "localhost" or an IP address
// in 127.0.0.0/8 or ::1. A name that merely starts with "127." is not.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// htmlText drops the tags of a small HTML page, for an error message.
func htmlText(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
