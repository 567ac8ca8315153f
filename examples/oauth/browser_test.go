package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A real browser (Debian's chromium, driven through chromedriver's WebDriver API) clicks through the app and
// the fake's consent page: Allow shows the connection in the app, Deny says access was denied. It runs when
// CI=true or AMP_BROWSER_TEST=1 (make browser-test, which installs chromium and chromium-driver when they are
// missing, and make test-all), and then fails — never skips — when the browser cannot be started. Screenshots
// of each page go to $AMP_BROWSER_SCREENSHOTS when set.
func TestBrowserClicksThrough(t *testing.T) {
	if os.Getenv("CI") != "true" && os.Getenv("AMP_BROWSER_TEST") != "1" {
		t.Skip("a real browser: set AMP_BROWSER_TEST=1 (make browser-test installs chromium); CI=true runs it")
	}
	web, srv := startApp(t)
	wd := startChromium(t)
	shots := os.Getenv("AMP_BROWSER_SCREENSHOTS")

	// Allow: jane connects, the app shows her connection.
	wd.open(web.URL + "/")
	wd.screenshot(shots, "1-home.png")
	wd.click("#connect") // the home page's form, user jane
	wd.waitURL(strings.TrimSuffix(srv.URL, "/v1") + "/oauth/authorize?")
	if src := wd.source(); !strings.Contains(src, "Connect salesforce?") || !strings.Contains(src, "jane") {
		t.Fatalf("the consent page:\n%s", src)
	}
	wd.screenshot(shots, "2-consent.png")
	wd.click("#allow")
	wd.waitURL(web.URL + "/callback?")
	conns := srv.Connections("oauth-example")
	if len(conns) != 1 {
		t.Fatalf("%d connections after Allow, want 1", len(conns))
	}
	if src := wd.source(); !strings.Contains(src, "Connected: <code>"+conns[0].ID+"</code>") {
		t.Fatalf("the app after Allow:\n%s", src)
	}
	wd.screenshot(shots, "3-connected.png")

	// Deny: bob's consent is denied, the app says so, nothing is created.
	wd.open(web.URL + "/connection?user=bob")
	wd.click("#connect")
	wd.waitURL(strings.TrimSuffix(srv.URL, "/v1") + "/oauth/authorize?")
	wd.click("#deny")
	wd.waitURL(web.URL + "/callback?")
	if src := wd.source(); !strings.Contains(src, "Salesforce access was denied") {
		t.Fatalf("the app after Deny:\n%s", src)
	}
	wd.screenshot(shots, "4-denied.png")
	if n := len(srv.Connections("oauth-example")); n != 1 {
		t.Errorf("%d connections after Deny, want still 1", n)
	}
}

// webDriver is a session of chromedriver's W3C WebDriver API, over plain HTTP.
type webDriver struct {
	t       *testing.T
	base    string // http://127.0.0.1:port/session/<id>
	timeout time.Duration
}

// startChromium starts chromedriver on a free loopback port and a headless chromium session; both end with
// the test.
func startChromium(t *testing.T) *webDriver {
	t.Helper()
	driver, err := exec.LookPath("chromedriver")
	if err != nil {
		t.Fatalf("chromedriver is not installed (make browser-test installs Debian's chromium and chromium-driver): %v", err)
	}
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed (make browser-test installs it): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(driver, fmt.Sprintf("--port=%d", port))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("chromedriver:\n%s", logs.String())
		}
	})
	wd := &webDriver{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port), timeout: time.Minute}
	ctx, cancel := context.WithTimeout(t.Context(), wd.timeout)
	defer cancel()
	for { // chromedriver answers /status once it listens
		if resp, err := http.Get(wd.base + "/status"); err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("chromedriver did not start: %s", logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	var session struct{ SessionID string }
	wd.call(http.MethodPost, "/session", map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{"binary": browser, "args": []string{
			"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1000,700",
		}},
	}}}, &session)
	wd.base += "/session/" + session.SessionID
	t.Cleanup(func() { wd.call(http.MethodDelete, "", nil, nil) })
	return wd
}

// call sends one WebDriver command and decodes its "value" into out; a WebDriver error fails the test.
func (wd *webDriver) call(method, path string, in, out any) {
	wd.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wd.timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, wd.base+path, body)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		wd.t.Fatalf("webdriver %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var reply struct{ Value json.RawMessage }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &reply) != nil {
		wd.t.Fatalf("webdriver %s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(reply.Value, out); err != nil {
			wd.t.Fatalf("webdriver %s %s: %v in %s", method, path, err, raw)
		}
	}
}

func (wd *webDriver) open(u string) {
	wd.call(http.MethodPost, "/url", map[string]string{"url": u}, nil)
}

// click clicks the element that css selects; the browser follows what the click does.
func (wd *webDriver) click(css string) {
	wd.t.Helper()
	var el map[string]string
	wd.call(http.MethodPost, "/element", map[string]string{"using": "css selector", "value": css}, &el)
	for _, id := range el { // the one key is the W3C element identifier
		wd.call(http.MethodPost, "/element/"+id+"/click", map[string]any{}, nil)
	}
}

// waitURL waits until the browser's URL starts with prefix.
func (wd *webDriver) waitURL(prefix string) {
	wd.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wd.timeout)
	defer cancel()
	for {
		var now string
		wd.call(http.MethodGet, "/url", nil, &now)
		if strings.HasPrefix(now, prefix) {
			return
		}
		select {
		case <-ctx.Done():
			wd.t.Fatalf("the browser is at %s, want %s…:\n%s", now, prefix, wd.source())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (wd *webDriver) source() string {
	var s string
	wd.call(http.MethodGet, "/source", nil, &s)
	return s
}

// screenshot saves a PNG of the window as dir/name when dir is set.
func (wd *webDriver) screenshot(dir, name string) {
	wd.t.Helper()
	if dir == "" {
		return
	}
	var b64 string
	wd.call(http.MethodGet, "/screenshot", nil, &b64)
	png, err := base64.StdEncoding.DecodeString(b64)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name), png, 0o644)
	}
	if err != nil {
		wd.t.Errorf("screenshot %s: %v", name, err)
	}
}
