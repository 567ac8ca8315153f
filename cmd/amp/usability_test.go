package main

import (
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// get --include-creds on a connection whose credential the API does not return says so, rather than printing
// nothing and no word why (issue 20, item 9).
func TestIncludeCredsSaysWhatTheAPIDoesNotReturn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, p := range []client.GenerateConnectionParams{
		{Provider: "jira", GroupRef: "g", ConsumerRef: "c", BasicAuth: client.BasicAuth{Username: "u", Password: "secret-password"}},
		{Provider: "x", GroupRef: "g", ConsumerRef: "c", OAuth2ClientCredentials: client.OAuth2ClientCredentials{ClientID: "id", ClientSecret: "secret-value"}},
	} {
		conn := f.seed(t, p)
		for _, format := range []string{"table", "json"} {
			r := f.amp(t, "connections", "get", conn.ID, "-p", testProject, "--include-creds", "-o", format)
			wantCode(t, r, exitOK)
			wantContains(t, "stderr", r.stderr, "amp: --include-creds: the API does not return the credentials of "+string(conn.AuthScheme)+" connections")
			wantNotContains(t, "stdout", r.stdout, "secret-")
			if format == "json" {
				decode[client.Connection](t, r.stdout) // stdout stays the JSON alone
			}
		}
	}
	// An apiKey connection's credential is returned: no such note.
	conn := f.seedAPIKey(t, "key-value-123456")
	r := f.amp(t, "connections", "get", conn.ID, "-p", testProject, "--include-creds", "-o", "table")
	wantCode(t, r, exitOK)
	if r.stderr != "" {
		t.Errorf("stderr for an apiKey connection: %q", r.stderr)
	}
}

// list shows the provider workspace, which update --workspace-ref sets.
func TestListShowsTheWorkspace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	conn := f.seedAPIKey(t, "key-value-123456")
	wantCode(t, f.amp(t, "connections", "update", conn.ID, "-p", testProject, "--workspace-ref", "acme.example"), exitOK)
	r := f.amp(t, "connections", "list", "-p", testProject, "-o", "table")
	wantCode(t, r, exitOK)
	rows := tableRows(r.stdout)
	if len(rows) != 2 || !strings.Contains(strings.Join(rows[0], " "), "WORKSPACE") || !strings.Contains(r.stdout, "acme.example") ||
		len(rows[0]) != len(rows[1])+1 { // "AUTH SCHEME" is two fields of the header
		t.Errorf("list:\n%s", r.stdout)
	}
}

// amp --help names every output format, jsonl included.
func TestHelpNamesJSONL(t *testing.T) {
	t.Parallel()
	r := runAmp(t, nil, "", "--help")
	wantCode(t, r, exitOK)
	wantContains(t, "amp --help", r.stdout, "-o jsonl")
}

// A stray argument where the project was meant is told to use -p, not "unknown command".
func TestStrayArgumentSuggestsTheProjectFlag(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"connections", "list", "demo"},
		{"connections", "generate", "demo", "--provider", "x", "--group-ref", "g", "--consumer-ref", "c"},
		{"oauth", "connect", "demo", "--provider", "x", "--group-ref", "g", "--consumer-ref", "c"},
	} {
		r := runAmp(t, map[string]string{envAPIKey: "k"}, "", args...)
		wantCode(t, r, exitUsage)
		wantContains(t, "stderr", r.stderr, `unexpected argument "demo"`, "-p demo")
		wantNotContains(t, "stderr", r.stderr, "unknown command")
	}
}

// A mistyped flag gets a suggestion.
func TestMistypedFlagGetsASuggestion(t *testing.T) {
	t.Parallel()
	for flag, want := range map[string]string{
		"--projetc":        "did you mean --project?",
		"--include-cred":   "did you mean --include-creds?",
		"--server-rul":     "did you mean --server-url?",
		"--attempt-timout": "did you mean --attempt-timeout?",
	} {
		r := runAmp(t, nil, "", "connections", "get", "c", flag, "x")
		wantCode(t, r, exitUsage)
		wantContains(t, "stderr", r.stderr, "unknown flag: "+flag, want)
	}
	r := runAmp(t, nil, "", "connections", "get", "c", "--zzzzzzzz", "x")
	wantCode(t, r, exitUsage)
	wantNotContains(t, "stderr", r.stderr, "did you mean")
}
