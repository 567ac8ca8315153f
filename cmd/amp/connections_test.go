package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

func TestListJSON(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.seed(t, client.GenerateConnectionParams{Provider: "salesforce", GroupRef: "g1", ConsumerRef: "c1"})
	b := f.seed(t, client.GenerateConnectionParams{Provider: "hubspot", GroupRef: "g2", ConsumerRef: "c2", APIKey: "pat-na1-0123456789"})

	r := f.amp(t, "connections", "list", "--project", testProject, "-o", "json")
	wantCode(t, r, exitOK)
	if !strings.HasPrefix(r.stdout, "[") {
		t.Errorf("list JSON is not an array:\n%s", r.stdout)
	}
	got := decode[[]client.Connection](t, r.stdout)
	if len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID {
		t.Fatalf("listed %+v, want %s and %s", got, a.ID, b.ID)
	}
	if got[1].Provider != "hubspot" || got[1].Group.GroupRef != "g2" || got[1].AuthScheme != client.AuthSchemeAPIKey || got[1].APIKey != "" {
		t.Errorf("second connection = %+v", got[1])
	}

	// Filters are sent as the API's query parameters.
	r = f.amp(t, "connections", "list", "-p", testProject, "--provider", "hubspot", "--group-ref", "g2", "--consumer-ref", "c2")
	wantCode(t, r, exitOK)
	if got := decode[[]client.Connection](t, r.stdout); len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("filtered list = %+v, want only %s", got, b.ID)
	}
	reqs := f.srv.Requests()
	q := reqs[len(reqs)-1].Query
	if q.Get("provider") != "hubspot" || q.Get("groupRef") != "g2" || q.Get("consumerRef") != "c2" {
		t.Errorf("query = %v", q)
	}

	// No connections: an empty array, not null.
	r = f.amp(t, "connections", "list", "-p", "empty-project", "-o", "json")
	wantCode(t, r, exitOK)
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("empty list = %q, want []", r.stdout)
	}
}

func TestListTable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.seed(t, client.GenerateConnectionParams{Provider: "salesforce", GroupRef: "group-with-a-long-ref", ConsumerRef: "c1"})
	b := f.seed(t, client.GenerateConnectionParams{Provider: "hubspot", GroupRef: "g2", ConsumerRef: "c2", APIKey: "pat-na1-0123456789"})

	r := f.amp(t, "connections", "list", "--project", testProject, "-o", "table")
	wantCode(t, r, exitOK)
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("table has %d lines, want header and 2 rows:\n%s", len(lines), r.stdout)
	}
	header := lines[0]
	if got := strings.Join(strings.Fields(header), " "); got != "ID PROVIDER GROUP CONSUMER WORKSPACE AUTH SCHEME STATUS CREATED" {
		t.Errorf("header = %q", got)
	}
	// Aligned: every value starts in its header's column.
	for i, c := range []client.Connection{a, b} {
		row := lines[i+1]
		for _, cell := range []struct{ column, value string }{
			{"ID", c.ID}, {"PROVIDER", c.Provider}, {"GROUP", c.Group.GroupRef}, {"CONSUMER", c.Consumer.ConsumerRef},
			{"AUTH SCHEME", string(c.AuthScheme)}, {"STATUS", string(c.Status)}, {"CREATED", formatTime(c.CreateTime)},
		} {
			col := strings.Index(header, cell.column)
			if !strings.HasPrefix(row[col:], cell.value) {
				t.Errorf("row %d: column %s does not start with %q:\n%s\n%s", i, cell.column, cell.value, header, row)
			}
		}
	}
	if strings.Contains(r.stdout, "CREDENTIAL") {
		t.Errorf("list table shows credentials:\n%s", r.stdout)
	}
}

func TestDefaultFormatFollowsTheTerminal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seed(t, client.GenerateConnectionParams{Provider: "salesforce", GroupRef: "g1", ConsumerRef: "c1"})
	// run's stdout is a buffer here, not a terminal: JSON.
	r := f.amp(t, "connections", "list", "--project", testProject)
	wantCode(t, r, exitOK)
	decode[[]client.Connection](t, r.stdout)

	if isTerminal(&strings.Builder{}) {
		t.Error("a strings.Builder is a terminal")
	}
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if isTerminal(file) {
		t.Error("a regular file is a terminal")
	}
	if dev, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil { // a character device, like a terminal
		defer dev.Close()
		if fi, err := dev.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 && !isTerminal(dev) {
			t.Errorf("%s, a character device, is not taken for a terminal", os.DevNull)
		}
	}
}

func TestGetMasksSecrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const key = "pat-na1-0123456789abcdef"
	c := f.seedAPIKey(t, key)
	get := []string{"connections", "get", c.ID, "--project", testProject, "--include-creds"}

	for _, format := range []string{"json", "table"} {
		r := f.amp(t, append(get, "-o", format)...)
		wantCode(t, r, exitOK)
		wantContains(t, format+" output", r.stdout, "pat-…")
		wantNotContains(t, format+" output", r.stdout, key, "pat-n")

		r = f.amp(t, append(get, "-o", format, "--show-secrets")...)
		wantCode(t, r, exitOK)
		wantContains(t, format+" output with --show-secrets", r.stdout, key)
	}
	r := f.amp(t, append(get, "-o", "json")...)
	if got := decode[client.Connection](t, r.stdout); got.ID != c.ID || got.APIKey != "pat-…" {
		t.Errorf("get JSON = %+v", got)
	}
	r = f.amp(t, append(get, "-o", "table")...)
	rows := tableRows(r.stdout)
	if len(rows) != 5 || rows[1][0] != c.ID || len(rows[2]) != 0 || strings.Join(rows[3], " ") != "CREDENTIAL VALUE ISSUED EXPIRES" ||
		strings.Join(rows[4], " ") != "apiKey pat-… - -" {
		t.Errorf("get table:\n%s", r.stdout)
	}

	// Without --include-creds the API sends no credential, and the table has none.
	r = f.amp(t, "connections", "get", c.ID, "--project", testProject, "-o", "table", "--show-secrets")
	wantCode(t, r, exitOK)
	wantNotContains(t, "output", r.stdout, "CREDENTIAL", key)
}

func TestGetMasksOAuth2Tokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const access, refresh = "access-token-value-0001", "refresh-token-value-0002"
	expires := time.Now().Add(time.Hour).UTC()
	c := f.seed(t, client.GenerateConnectionParams{Provider: "salesforce", GroupRef: "g1", ConsumerRef: "c1",
		OAuth2AuthorizationCode: client.OAuth2AuthorizationCode{
			AccessToken:  client.OAuth2Token{Token: access, ExpiresAt: expires},
			RefreshToken: client.OAuth2Token{Token: refresh},
			Scopes:       []string{"api", "refresh_token"},
		}})
	get := []string{"connections", "get", c.ID, "-p", testProject, "--include-refresh-token"}

	r := f.amp(t, append(get, "-o", "json")...)
	wantCode(t, r, exitOK)
	got := decode[client.Connection](t, r.stdout).OAuth2AuthorizationCode
	if got.AccessToken.Token != "acce…" || got.RefreshToken.Token != "refr…" || formatTime(got.AccessToken.ExpiresAt) != formatTime(expires) {
		t.Errorf("masked tokens = %+v", got)
	}
	wantNotContains(t, "JSON", r.stdout, access, refresh)

	r = f.amp(t, append(get, "-o", "table")...)
	wantCode(t, r, exitOK)
	wantContains(t, "table", r.stdout, "accessToken", "acce…", formatTime(expires), "refreshToken", "refr…", "scopes", "api,refresh_token")
	wantNotContains(t, "table", r.stdout, access, refresh)

	r = f.amp(t, append(get, "-o", "table", "--show-secrets")...)
	wantContains(t, "table with --show-secrets", r.stdout, access, refresh)

	// --refresh force renews the access token and is sent as the API's query parameter.
	r = f.amp(t, append(get, "-o", "json", "--show-secrets", "--refresh", "force")...)
	wantCode(t, r, exitOK)
	if tok := decode[client.Connection](t, r.stdout).OAuth2AuthorizationCode.AccessToken.Token; tok == access || tok == "" {
		t.Errorf("access token after --refresh force = %q", tok)
	}
	reqs := f.srv.Requests()
	if q := reqs[len(reqs)-1].Query; q.Get("refresh") != "force" || q.Get("includeRefreshToken") != "true" {
		t.Errorf("query = %v", q)
	}
}

func TestMaskSecret(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                         "",
		"short":                    "…",
		"elevenchars":              "…",
		"twelve-chars":             "twel…",
		"pat-na1-0123456789abcdef": "pat-…",
		"ééééééééééééé":            "éééé…",
	} {
		if got := maskSecret(in); got != want {
			t.Errorf("maskSecret(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGetRefreshValue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.amp(t, "connections", "get", "c", "-p", testProject, "--refresh", "always")
	wantCode(t, r, exitUsage)
	wantContains(t, "stderr", r.stderr, `invalid --refresh "always": use force or ifExpired`)
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.seedAPIKey(t, "key-a-0123456789"), f.seedAPIKey(t, "key-b-0123456789")

	r := f.amp(t, "connections", "delete", a.ID, "--project", testProject, "-o", "table")
	wantCode(t, r, exitOK)
	if r.stdout != "Deleted connection "+a.ID+" of project "+testProject+".\n" {
		t.Errorf("table output = %q", r.stdout)
	}
	r = f.amp(t, "connections", "delete", b.ID, "--project", testProject, "-o", "json")
	wantCode(t, r, exitOK)
	if want := `{"deleted":true,"projectIdOrName":"` + testProject + `","connectionId":"` + b.ID + `"}`; canonical(t, r.stdout) != canonical(t, want) {
		t.Errorf("JSON output = %q, want the confirmation %s", r.stdout, want)
	}
	if conns := f.srv.Connections(testProject); len(conns) != 0 {
		t.Errorf("connections left: %+v", conns)
	}
	r = f.amp(t, "connections", "get", a.ID, "--project", testProject)
	wantCode(t, r, exitAPIClient)
	wantContains(t, "stderr", r.stderr, "getConnection: 404 Not Found", "Detail:", a.ID, "Request ID:")
}

func TestIDsAreEscapedNotInterpreted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.amp(t, "connections", "get", "a/b?c", "--project", testProject)
	wantCode(t, r, exitAPIClient)
	reqs := f.srv.Requests()
	if len(reqs) != 1 || reqs[0].Operation != amptest.OpGetConnection || !strings.HasSuffix(reqs[0].Path, "/connections/a%2Fb%3Fc") {
		t.Errorf("requests = %+v", reqs)
	}
}

// canonical re-encodes a JSON document compactly.
func canonical(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %q", s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// On a terminal amp says what it waits for; --quiet, or a stderr that is not a terminal, silence it.
func TestProgressOnATerminal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	args := []string{"--server-url", f.srv.URL, "connections", "list", "-p", testProject, "--max-attempts", "3"}
	for _, tc := range []struct {
		name string
		tty  bool
		more []string
		want bool
	}{{"terminal", true, nil, true}, {"terminal, --quiet", true, []string{"--quiet"}, false}, {"pipe", false, nil, false}} {
		f.srv.InjectFault(amptest.OpListConnections, amptest.Fault{Status: 503, Times: 2})
		var stdout, stderr bytes.Buffer
		code := runApp(context.Background(), append(args, tc.more...), strings.NewReader(""), &stdout, &stderr,
			func(k string) string { return f.env[k] }, tc.tty)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", tc.name, code, stderr.String())
		}
		said := strings.Count(stderr.String(), "failed: 503 Service Unavailable; retrying in ")
		if tc.want && (said != 2 || !strings.Contains(stderr.String(), "amp: attempt 1 failed: 503 Service Unavailable; retrying in ")) ||
			!tc.want && stderr.Len() != 0 {
			t.Errorf("%s: stderr = %q", tc.name, stderr.String())
		}
	}
}

// --timeout bounds the whole command (default 30 s): an unreachable-in-practice server ends it with exit 4.
func TestTotalTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.InjectFault(amptest.OpListConnections, amptest.Fault{Delay: time.Minute, Times: 10})
	r := f.amp(t, "connections", "list", "-p", testProject, "--timeout", "300ms")
	wantCode(t, r, exitAPIServer)
	wantContains(t, "stderr", r.stderr, "no reply from "+f.srv.URL+" within 300ms, the limit --timeout sets")
}

// -o jsonl streams the list (Connections.All): one Connection per line.
func TestListJSONLines(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var ids []string
	for range 3 {
		ids = append(ids, f.seedAPIKey(t, "key-0123456789abcdef").ID)
	}
	r := f.amp(t, "connections", "list", "--project", testProject, "-o", "jsonl")
	wantCode(t, r, exitOK)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), r.stdout)
	}
	for i, line := range lines {
		var c client.Connection
		if err := json.Unmarshal([]byte(line), &c); err != nil || c.ID != ids[i] || strings.Contains(line, "0123456789abcdef") {
			t.Errorf("line %d = %s (%v)", i, line, err)
		}
	}
	r = f.amp(t, "connections", "list", "--project", "no-such-project-yet", "-o", "jsonl")
	wantCode(t, r, exitOK)
	if r.stdout != "" {
		t.Errorf("an empty list printed %q", r.stdout)
	}
}
