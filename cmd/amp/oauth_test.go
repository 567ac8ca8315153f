package main

import (
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// The OAuth flow from a shell: amp oauth connect prints the URL, amp fake approve plays the consent, and the
// connection is there; amp oauth update re-authorizes it.
func TestOAuthFromTheShell(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.amp(t, "oauth", "connect", "-p", testProject, "--provider", "salesforce", "--group-ref", "g", "--consumer-ref", "c")
	wantCode(t, r, exitOK)
	authURL := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(authURL, strings.TrimSuffix(f.srv.URL, "/v1")+"/oauth/authorize?") {
		t.Fatalf("printed %q", r.stdout)
	}
	r = f.amp(t, "fake", "approve", authURL)
	wantCode(t, r, exitOK)
	id := strings.TrimSuffix(r.stdout, "\n") // the bare ID: stdout is not a terminal
	conn, ok := f.srv.Connection(testProject, id)
	if !ok || conn.AuthScheme != client.AuthSchemeOAuth2AuthorizationCode || conn.Status != client.ConnectionStatusWorking {
		t.Fatalf("approve printed %q; stored %+v", r.stdout, conn)
	}
	before := conn.OAuth2AuthorizationCode.AccessToken.Token

	r = f.amp(t, "oauth", "update", id, "-p", testProject, "-o", "json")
	wantCode(t, r, exitOK)
	if !strings.Contains(r.stdout, `"url": "`+strings.TrimSuffix(f.srv.URL, "/v1")+"/oauth/authorize?") {
		t.Fatalf("update printed %q", r.stdout)
	}
	updateURL := r.stdout[strings.Index(r.stdout, `"url": "`)+8 : strings.LastIndex(r.stdout, `"`)]
	wantCode(t, f.amp(t, "fake", "approve", updateURL), exitOK)
	if after, _ := f.srv.Connection(testProject, id); after.OAuth2AuthorizationCode.AccessToken.Token == before {
		t.Error("the re-authorization did not rotate the access token")
	}

	// The same URL works once: a replay is refused, and says why.
	r = f.amp(t, "fake", "approve", authURL)
	wantCode(t, r, exitFailure)
	wantContains(t, "stderr", r.stderr, "the consent failed: 409")
	// Only URLs of a fake on loopback.
	r = f.amp(t, "fake", "approve", "https://login.salesforce.com/authorize?state=x")
	wantCode(t, r, exitUsage)
	// Missing required flags are usage errors, before any request.
	r = f.amp(t, "oauth", "connect", "-p", testProject, "--provider", "salesforce")
	wantCode(t, r, exitUsage)
}
