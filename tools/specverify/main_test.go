package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const ourSpec = "../../api/openapi.yaml"

func upstream(t *testing.T) string {
	t.Helper()
	p := os.Getenv("UPSTREAM_SPEC")
	if p == "" {
		p = "../../../shared/reference/ampersand-api.bundled.json"
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("SKIP: upstream document not found at %s: drift NOT checked here", p)
	}
	return p
}

func runCmd(args ...string) (int, string) {
	var out bytes.Buffer
	code := run(args, &out, &out)
	return code, out.String()
}

func TestOurSpecPasses(t *testing.T) {
	code, out := runCmd("-spec", ourSpec, "-upstream", upstream(t), "-v")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	mustContain(t, out,
		"ok   "+ourSpec+" is a valid OpenAPI 3.0.3 document", "allowed  security:", "ok   no drift from",
		"\ncovered  listConnections GET /projects/{projectIdOrName}/connections [tagged Connection, path has /connections, schema Connection at response 200 application/json []]\n",
		"\ncovered  oauthUpdate PATCH /projects/{projectIdOrName}/connections/{connectionId}:oauth-update [path has /connections]\n",
		"\nexcluded getInstallation GET ",
		" upstream connection operation(s) (tagged Connection, path has /connections, or uses schema Connection): ",
		" covered by "+ourSpec+", ",
		" out of scope (listed in x-upstream-out-of-scope)\n",
		"\nnote "+ourSpec+" also has oauthConnect, which is not counted above: upstream it is not tagged Connection,"+
			" its path has no /connections and it does not use schema Connection (the drift check compares it all the same)\n",
	)
}

func TestBrokenSpecFailsNamingTheBreak(t *testing.T) {
	path := editedSpec(t,
		"      required: [id, createTime, group, consumer, projectId, provider, authScheme, status]",
		"      required: [id, createTime, group, consumer, projectId, authScheme, status]",
		"        - name: includeCreds\n", "        - name: includeCredentials\n")
	code, out := runCmd("-spec", path, "-upstream", upstream(t))
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	mustContain(t, out,
		"DRIFT    getConnection parameter query:includeCreds: missing here (upstream has it)",
		"DRIFT    getConnection parameter query:includeCredentials: not upstream",
		"DRIFT    getConnection response 200 application/json required provider: required upstream, optional here",
	)
}

// An invalid example fails the check, with kin-openapi's message naming the path, operation and value.
func TestInvalidSpecFailsNamingTheElement(t *testing.T) {
	path := editedSpec(t, "          example: ifExpired\n      responses:", "          example: sometimes\n      responses:")
	code, out := runCmd("-spec", path, "-upstream", "/nonexistent")
	if code != 1 || !strings.Contains(out, "invalid path /projects/{projectIdOrName}/connections/{connectionId}: invalid operation GET: invalid example") ||
		!strings.Contains(out, `"sometimes"`) {
		t.Fatalf("exit %d, want 1 naming the path, the operation and the example:\n%s", code, out)
	}
}

func TestMissingUpstreamIsSkippedLoudly(t *testing.T) {
	code, out := runCmd("-spec", ourSpec, "-upstream", "/nonexistent/upstream.json")
	if code != 0 || !strings.Contains(out, "SKIP drift check: upstream document /nonexistent/upstream.json not found") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, out = runCmd("-spec", ourSpec, "-upstream", "/nonexistent/upstream.json", "-require-upstream")
	if code != 1 || !strings.Contains(out, "SKIP") {
		t.Fatalf("-require-upstream: exit %d:\n%s", code, out)
	}
}

// withUpstreamOperations writes a copy of the upstream document with extra paths (path -> method -> operation).
func withUpstreamOperations(t *testing.T, paths map[string]any) string {
	t.Helper()
	src, err := os.ReadFile(upstream(t))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	for p, item := range paths {
		doc["paths"].(map[string]any)[p] = item
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "upstream.json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNewUpstreamConnectionOperationsFail(t *testing.T) {
	ok := map[string]any{"204": map[string]any{"description": "done"}}
	up := withUpstreamOperations(t, map[string]any{
		"/projects/{projectIdOrName}/connections/{connectionId}:rotate": map[string]any{"post": map[string]any{
			"operationId": "rotateConnection", "tags": []string{"OAuth"}, "responses": ok}},
		"/connection-tokens": map[string]any{"delete": map[string]any{
			"operationId": "revokeTokens", "tags": []string{"Connection"}, "responses": ok}},
		"/projects/{projectIdOrName}/groups/{groupRef}/links": map[string]any{"get": map[string]any{
			"operationId": "listGroupLinks", "responses": map[string]any{"200": map[string]any{
				"description": "ok", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{
					"type": "array", "items": map[string]any{"allOf": []any{
						map[string]any{"type": "object", "properties": map[string]any{"link": map[string]any{"$ref": "#/components/schemas/Connection"}}},
					}}}}}}}}},
	})
	code, out := runCmd("-spec", ourSpec, "-upstream", up)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	mustContain(t, out,
		"\nMISSING  listGroupLinks GET /projects/{projectIdOrName}/groups/{groupRef}/links [schema Connection at response 200 application/json [].link]: an upstream connection operation neither in our document nor in x-upstream-out-of-scope; add it, or list it there with why\n",
		"\nMISSING  revokeTokens DELETE /connection-tokens [tagged Connection]: ",
		"\nMISSING  rotateConnection POST /projects/{projectIdOrName}/connections/{connectionId}:rotate [path has /connections]: ",
		"specverify: "+ourSpec+" leaves 3 of 16 upstream connection operation(s) unaccounted for, with 0 stale and 0 invalid out-of-scope entries",
		"ok   no drift from", // the drift check still runs and passes
	)
}

func TestStaleAndInvalidOutOfScopeEntriesFail(t *testing.T) {
	const list = "x-upstream-out-of-scope:\n"
	path := editedSpec(t, list, list+
		"  - operation: getObjectMetadataForConnection\n    why: object metadata, not the connection itself\n"+
		"  - operation: getConnection\n    why: in our document\n"+
		"  - operation: listInstallations\n")
	code, out := runCmd("-spec", path, "-upstream", upstream(t))
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	mustContain(t, out,
		"\nSTALE    getObjectMetadataForConnection: listed in x-upstream-out-of-scope but upstream's GET /projects/{projectIdOrName}/providers/{provider}/objects/{objectName}/metadata meets none of the rules (tagged Connection, path has /connections, uses schema Connection); remove the entry\n",
		"\nSTALE    getConnection: listed in x-upstream-out-of-scope but our document has it; remove the entry\n",
		"\nINVALID  x-upstream-out-of-scope[2] (listInstallations): `why` is empty: say why the operation is out of scope\n",
		"with 2 stale and 1 invalid out-of-scope entries",
	)
}

// editedSpec writes a copy of our spec with each old, new pair replaced once, and returns its path. An old
// text the spec does not hold fails the test: an edit that does not happen would test the unbroken spec.
func editedSpec(t *testing.T, oldNew ...string) string {
	t.Helper()
	src, err := os.ReadFile(ourSpec)
	if err != nil {
		t.Fatal(err)
	}
	spec := string(src)
	for i := 0; i+1 < len(oldNew); i += 2 {
		if !strings.Contains(spec, oldNew[i]) {
			t.Fatalf("%s has no %q", ourSpec, oldNew[i])
		}
		spec = strings.Replace(spec, oldNew[i], oldNew[i+1], 1)
	}
	path := filepath.Join(t.TempDir(), "openapi.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// mustContain fails the test for each of wants that out lacks.
func mustContain(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}
