package main

import (
	"strings"
	"testing"
)

// A server URL amp cannot use is a usage error that names the flag (or the variable) and shows a URL that
// works; a URL without /v1 gets a hint with its 404 (issue 20, item 7).
func TestServerURLMistakes(t *testing.T) {
	t.Parallel()
	env := map[string]string{envAPIKey: "k"}
	list := []string{"connections", "list", "-p", testProject}

	r := runAmp(t, env, "", append(list, "--server-url", "127.0.0.1:18080")...)
	wantCode(t, r, exitUsage)
	wantContains(t, "stderr", r.stderr, `invalid --server-url "127.0.0.1:18080"`, "http://127.0.0.1:18080/v1")
	wantNotContains(t, "stderr", r.stderr, "ServerURL", "first path segment")

	r = runAmp(t, map[string]string{envAPIKey: "k", envServerURL: "localhost:8080"}, "", list...)
	wantCode(t, r, exitUsage)
	wantContains(t, "stderr", r.stderr, `invalid `+envServerURL+` "localhost:8080"`, "http://localhost:8080/v1")

	r = runAmp(t, env, "", append(list, "--server-url", "ftp://example.com/v1")...)
	wantCode(t, r, exitUsage)
	wantContains(t, "stderr", r.stderr, `invalid --server-url "ftp://example.com/v1"`)

	f := newFixture(t)
	noV1 := strings.TrimSuffix(f.srv.URL, "/v1")
	r = runAmp(t, f.env, "", append(list, "--server-url", noV1)...)
	wantCode(t, r, exitAPIClient)
	wantContains(t, "stderr", r.stderr, "404 Not Found", "  Hint:", "has no /v1", "--server-url "+noV1+"/v1")

	// A 404 through a right URL gets no such hint.
	r = f.amp(t, "connections", "get", "nope", "-p", testProject)
	wantCode(t, r, exitAPIClient)
	wantNotContains(t, "stderr", r.stderr, "Hint:")
}
