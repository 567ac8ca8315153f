package main

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// lastUpdateBody returns the body of the last request the fake received, as update params.
func lastUpdateBody(t *testing.T, f *fixture) client.UpdateConnectionParams {
	t.Helper()
	reqs := f.srv.Requests()
	var p client.UpdateConnectionParams
	if err := json.Unmarshal(reqs[len(reqs)-1].Body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.seedAPIKey(t, "pat-old-0123456789")
	update := []string{"connections", "update", c.ID, "--project", testProject}

	t.Run("mask inferred from the value flags", func(t *testing.T) {
		r := f.amp(t, append(update, "--workspace-ref", "ws-2", "-o", "json")...)
		wantCode(t, r, exitOK)
		if got := decode[client.Connection](t, r.stdout); got.ID != c.ID || got.ProviderWorkspaceRef != "ws-2" {
			t.Errorf("updated %+v", got)
		}
		if p := lastUpdateBody(t, f); !slices.Equal(p.UpdateMask, []client.UpdateMaskField{"providerWorkspaceRef"}) {
			t.Errorf("body = %+v", p)
		}
	})
	t.Run("explicit mask", func(t *testing.T) {
		key := writeFile(t, "key", "pat-new-0123456789\n")
		r := f.amp(t, append(update, "--mask", "apiKey,providerWorkspaceRef", "--api-key-credential-file", key, "--workspace-ref", "ws-3", "-o", "table")...)
		wantCode(t, r, exitOK)
		if rows := tableRows(r.stdout); len(rows) != 2 || rows[1][0] != c.ID {
			t.Errorf("table:\n%s", r.stdout)
		}
		wantNotContains(t, "output", r.stdout, "pat-new")
		if creds, _ := f.srv.Credentials(testProject, c.ID); creds.APIKey != "pat-new-0123456789" {
			t.Errorf("stored key %q", creds.APIKey)
		}
		if p := lastUpdateBody(t, f); !slices.Equal(p.UpdateMask, []client.UpdateMaskField{"apiKey", "providerWorkspaceRef"}) ||
			p.Connection.ProviderWorkspaceRef != "ws-3" {
			t.Errorf("body = %+v", p)
		}
	})
	t.Run("params file", func(t *testing.T) {
		doc := `{"updateMask": ["providerMetadata"], "connection": {"providerMetadata": {"instance": {"value": "eu1", "source": "input"}}}}`
		r := f.ampStdin(t, doc, append(update, "--params-file", "-", "-o", "json")...)
		wantCode(t, r, exitOK)
		if got := decode[client.Connection](t, r.stdout); got.ProviderMetadata["instance"].Value != "eu1" {
			t.Errorf("updated %+v", got)
		}
	})
}

func TestUpdateUsageErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	key := writeFile(t, "key", "pat-1")
	update := []string{"connections", "update", "conn-1", "-p", testProject}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"nothing to update", update, "nothing to update: give --workspace-ref or a credential, or --params-file"},
		{"no connection ID", []string{"connections", "update", "-p", testProject, "--workspace-ref", "w"}, "accepts 1 arg(s), received 0"},
		{"mask without value", append(update, "--mask", "apiKey"), "--mask names apiKey, but no flag sets it: give --api-key-credential-file"},
		{"mask needing params file", append(update, "--mask", "providerMetadata"), "set it with --params-file"},
		{"value outside the mask", append(update, "--mask", "providerWorkspaceRef", "--workspace-ref", "w", "--api-key-credential-file", key),
			"--api-key-credential-file sets apiKey, which --mask does not name"},
		{"unknown mask field", append(update, "--mask", "workspace", "--workspace-ref", "w"), `invalid --mask field "workspace"`},
		{"empty mask", append(update, "--mask", "", "--workspace-ref", "w"), "--mask is empty"},
		{"empty workspace ref", append(update, "--workspace-ref", ""), "--workspace-ref is empty"},
		{"params file and flags", append(update, "--params-file", key, "--mask", "apiKey"), "--params-file gives the whole request: drop --mask"},
		{"params file with unknown field", append(update, "--params-file", writeFile(t, "u.json", `{"mask": ["apiKey"]}`)), `unknown field "mask"`},
		{"params file with empty mask", append(update, "--params-file", writeFile(t, "u.json", `{"updateMask": [], "connection": {}}`)),
			"amp: invalid Params.UpdateMask: is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.amp(t, tc.args...)
			wantCode(t, r, exitUsage)
			wantContains(t, "stderr", r.stderr, tc.want)
		})
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent for usage errors", n)
	}
}

// TestUpdateRejectedByTheAPI checks how a 400 problem is printed: title, detail, remedy, each issue and the
// request ID, with exit code 3.
func TestUpdateRejectedByTheAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.seedAPIKey(t, "pat-old-0123456789")
	password := writeFile(t, "password", "pw")

	r := f.amp(t, "connections", "update", c.ID, "-p", testProject, "--basic-username", "u", "--basic-password-file", password)
	wantCode(t, r, exitAPIClient)
	wantContains(t, "stderr", r.stderr,
		"amp: updateConnection: 400 Bad Request\n",
		"  Title:      Bad Request\n",
		"  Detail:     Invalid update mask\n",
		"  Remedy:     Allowed masks: 'apiKey, providerMetadata, providerWorkspaceRef'\n",
		"  Issues:\n    - body updateMask[0]: basicAuth does not match the connection's auth scheme \"apiKey\"\n",
		"  Request ID: ")
	if r.stdout != "" {
		t.Errorf("stdout = %q", r.stdout)
	}
	wantNotContains(t, "stderr", r.stderr, "--help")
}
