package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// generateArgs is a generate command line without credential.
var generateArgs = []string{"connections", "generate", "--project", testProject,
	"--provider", "hubspot", "--group-ref", "g1", "--group-name", "Group One", "--consumer-ref", "c1",
	"--consumer-name", "Consumer One", "--workspace-ref", "ws-1"}

// generated checks a successful generate and returns the connection it printed as JSON, and what the fake
// stored as its credential.
func generated(t *testing.T, f *fixture, r result) (client.Connection, client.ConnectionRequest) {
	t.Helper()
	wantCode(t, r, exitOK)
	c := decode[client.Connection](t, r.stdout)
	creds, ok := f.srv.Credentials(testProject, c.ID)
	if !ok {
		t.Fatalf("connection %s was not stored", c.ID)
	}
	return c, creds
}

func TestGenerateWithFlags(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	t.Run("api key from a file", func(t *testing.T) {
		const key = "pat-na1-provider-secret-1"
		path := writeFile(t, "key", key+"\n")
		r := f.amp(t, append(generateArgs, "-o", "json", "--api-key-credential-file", path)...)
		c, creds := generated(t, f, r)
		if creds.APIKey != key {
			t.Errorf("stored key %q, want %q (without the newline)", creds.APIKey, key)
		}
		if c.Provider != "hubspot" || c.Group.GroupRef != "g1" || c.Group.GroupName != "Group One" || c.Consumer.ConsumerRef != "c1" ||
			c.Consumer.ConsumerName != "Consumer One" || c.ProviderWorkspaceRef != "ws-1" || c.AuthScheme != client.AuthSchemeAPIKey {
			t.Errorf("generated %+v", c)
		}
		wantNotContains(t, "output", r.stdout+r.stderr, key)
	})
	t.Run("api key from stdin", func(t *testing.T) {
		r := f.ampStdin(t, "pat-from-stdin\r\n", append(generateArgs, "--api-key-credential-file", "-")...)
		if _, creds := generated(t, f, r); creds.APIKey != "pat-from-stdin" {
			t.Errorf("stored key %q", creds.APIKey)
		}
	})
	t.Run("basic auth", func(t *testing.T) {
		path := writeFile(t, "password", "correct horse battery staple\n")
		r := f.amp(t, append(generateArgs, "--basic-username", "jane", "--basic-password-file", path)...)
		c, creds := generated(t, f, r)
		if c.AuthScheme != client.AuthSchemeBasic || creds.BasicAuth != (client.BasicAuth{Username: "jane", Password: "correct horse battery staple"}) {
			t.Errorf("generated %s with %+v", c.AuthScheme, creds.BasicAuth)
		}
	})
	t.Run("oauth2 client credentials", func(t *testing.T) {
		path := writeFile(t, "secret", "client-secret-1")
		r := f.amp(t, append(generateArgs, "--client-id", "client-1", "--client-secret-file", path, "--scopes", "read,write")...)
		c, creds := generated(t, f, r)
		cc := creds.OAuth2ClientCredentials
		if c.AuthScheme != client.AuthSchemeOAuth2ClientCredentials || cc.ClientID != "client-1" || cc.ClientSecret != "client-secret-1" ||
			!slices.Equal(cc.Scopes, []string{"read", "write"}) {
			t.Errorf("generated %s with %+v", c.AuthScheme, cc)
		}
	})
	t.Run("no credential", func(t *testing.T) {
		r := f.amp(t, "connections", "generate", "-p", testProject, "--provider", "acme", "--group-ref", "g", "--consumer-ref", "c", "-o", "table")
		wantCode(t, r, exitOK)
		if rows := tableRows(r.stdout); len(rows) != 2 || rows[1][1] != "acme" || rows[1][5] != "none" {
			t.Errorf("table:\n%s", r.stdout)
		}
	})
}

func TestGenerateWithParamsFile(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	params := client.GenerateConnectionParams{Provider: "salesforce", GroupRef: "g9", ConsumerRef: "c9",
		OAuth2PasswordCredentials: client.OAuth2PasswordCredentials{Username: "u", Password: "p", ClientID: "id", ClientSecret: "s"}}
	doc, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}

	r := f.amp(t, "connections", "generate", "-p", testProject, "--params-file", writeFile(t, "params.json", string(doc)))
	c, creds := generated(t, f, r)
	if c.AuthScheme != client.AuthSchemeOAuth2Password || creds.OAuth2PasswordCredentials.Password != "p" {
		t.Errorf("generated %s with %+v", c.AuthScheme, creds)
	}

	r = f.ampStdin(t, string(doc), "connections", "generate", "-p", testProject, "--params-file", "-")
	if c, _ := generated(t, f, r); c.Group.GroupRef != "g9" {
		t.Errorf("generated %+v", c)
	}
}

func TestGenerateUsageErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	key := writeFile(t, "key", "pat-1")
	empty := writeFile(t, "empty", "\n")
	base := []string{"connections", "generate", "-p", testProject}
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"required flags", append(base, "--provider", "x"), "", "missing --group-ref, --consumer-ref (or give the whole request with --params-file)"},
		{"two credentials", append(generateArgs, "--api-key-credential-file", key, "--client-id", "i", "--client-secret-file", key),
			"", "give one credential, not --api-key-credential-file and --client-id/--client-secret-file"},
		{"password without username", append(generateArgs, "--basic-password-file", key), "", "basic-username"},
		{"empty username", append(generateArgs, "--basic-username", "", "--basic-password-file", key), "", "--basic-username is empty"},
		{"scopes without client", append(generateArgs, "--scopes", "a"), "", "--scopes needs --client-id and --client-secret-file"},
		{"missing file", append(generateArgs, "--api-key-credential-file", key+".missing"), "", "--api-key-credential-file: open"},
		{"empty file", append(generateArgs, "--api-key-credential-file", empty), "", "--api-key-credential-file: " + empty + " is empty"},
		{"params file and flags", append(base, "--params-file", key, "--provider", "x", "--scopes", "a"), "",
			"--params-file gives the whole request: drop --provider, --scopes"},
		{"params file not JSON", append(base, "--params-file", key), "", "--params-file " + key + ": not a valid document"},
		{"params file unknown field", append(base, "--params-file", "-"), `{"provider": "x", "group_ref": "g"}`, `unknown field "group_ref"`},
		{"params file trailing data", append(base, "--params-file", "-"), `{"provider": "x"} {}`, "unexpected data after the JSON document"},
		{"params file incomplete", append(base, "--params-file", "-"), `{"provider": "x"}`, "amp: invalid Params.GroupRef: is required"},
		{"stdin twice", append(base, "--params-file", "-", "--api-key-file", "-"), "{}", "--params-file and --api-key-file both read stdin (-): only one can"},
		{"arguments", append(generateArgs, "extra"), "", `unexpected argument "extra": to name the project, use -p extra`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.ampStdin(t, tc.stdin, tc.args...)
			wantCode(t, r, exitUsage)
			wantContains(t, "stderr", r.stderr, tc.want, "Run 'amp connections generate --help' for usage.")
			if r.stdout != "" {
				t.Errorf("stdout = %q", r.stdout)
			}
		})
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent for usage errors", n)
	}
}

func TestGenerateCredentialNeverInArgv(t *testing.T) {
	t.Parallel()
	// No flag of generate or update takes a secret as its value: every secret flag names a file.
	root := (&app{}).newRootCmd()
	for _, path := range [][]string{{"connections", "generate"}, {"connections", "update"}} {
		cmd, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"api-key", "basic-password", "client-secret", "password", "secret", "token"} {
			if cmd.Flags().Lookup(name) != nil {
				t.Errorf("%s has a --%s flag", strings.Join(path, " "), name)
			}
		}
	}
	if root.PersistentFlags().Lookup("api-key") != nil {
		t.Error("amp has an --api-key flag")
	}
}
