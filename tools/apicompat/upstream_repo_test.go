package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// thisRepo copies this repository's work tree (tracked and untracked files, not ignored ones) into a new git
// work tree with one commit, so that Upstream can regenerate and diff it without touching the real one.
func thisRepo(t *testing.T) *repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("SKIP: git not found")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	src := &repo{t: t, dir: root}
	r := &repo{t: t, dir: t.TempDir()}
	for _, rel := range strings.Split(src.git("ls-files", "-z", "--cached", "--others", "--exclude-standard"), "\x00") {
		if rel == "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, rel))
		if os.IsNotExist(err) { // deleted in the work tree, not yet in the index
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		r.write(rel, string(data))
	}
	r.git("init", "-q", "-b", "main")
	r.commit("this repository")
	return r
}

// publishedFixture writes the reference upstream document with three changes Ampersand could publish: a
// new Connection property, a property whose type changes (ProviderApp.externalRef, string to integer) and
// a new connection operation. It returns the paths of a copy of the reference and of the changed document.
func publishedFixture(t *testing.T) (reference, published string) {
	t.Helper()
	ref, err := filepath.Abs(filepath.Join("../../..", defaultUpstream))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		t.Skipf("SKIP: Ampersand's published document is not at %s (make verify needs it too): %v", ref, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	props := func(name string) map[string]any { return schemas[name].(map[string]any)["properties"].(map[string]any) }
	props("Connection")["lastUsedTime"] = map[string]any{"type": "string", "format": "date-time", "description": "When the connection was last used."}
	props("ProviderApp")["externalRef"] = map[string]any{"type": "integer", "description": "The provider's ID of the app."}
	param := func(name string) map[string]any {
		return map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}}
	}
	doc["paths"].(map[string]any)["/projects/{projectIdOrName}/connections/{connectionId}:archive"] = map[string]any{
		"post": map[string]any{"operationId": "archiveConnection", "tags": []any{"Connection"}, "summary": "Archive a connection",
			"parameters": []any{param("projectIdOrName"), param("connectionId")},
			"responses":  map[string]any{"204": map[string]any{"description": "Archived"}}},
	}
	out, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	reference, published = filepath.Join(dir, "reference.json"), filepath.Join(dir, "published.json")
	if err := os.WriteFile(reference, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(published, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return reference, published
}

// builds fails unless every package of the work tree's root module builds.
func builds(t *testing.T, r *repo) {
	t.Helper()
	cmd := exec.Command("go", "build", "./...")
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the tree does not build after update-upstream: %v\n%s", err, out)
	}
}

// make update-upstream on this repository, with the real drift check and go generate: first as published
// (each difference listed, nothing regenerated, the tree still builds), then after our document adopted the
// new property and the changed type (the regenerated files, the Go API lines and the breaking change named,
// and the tree builds).
func TestUpstreamOnThisRepository(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP: -short: copies the repository and runs go generate")
	}
	r := thisRepo(t)
	reference, published := publishedFixture(t)
	opts := UpstreamOptions{Root: r.dir, Spec: published, Reference: reference}

	_, text := summarize(t, opts)
	wantLines(t, text,
		"  new      DRIFT    getConnection response 200 application/json property lastUsedTime: missing here (upstream has it)",
		"  new      DRIFT    getConnection response 200 application/json .providerApp.externalRef type: ours [string], upstream [integer]",
		"  new      OPERATION archiveConnection (POST /projects/{projectIdOrName}/connections/{connectionId}:archive): added upstream; not in api/openapi.yaml",
		"  no file changed", "  no change", "Breaking: no",
		"Result: the new upstream document needs attention (see above).")
	if !strings.Contains(text, "  new      MISSING  archiveConnection POST /projects/{projectIdOrName}/connections/{connectionId}:archive") {
		t.Error("the coverage check's MISSING line is not in the summary")
	}
	if st := r.git("status", "--porcelain"); st != "" {
		t.Errorf("update-upstream changed the work tree: %s", st)
	}
	builds(t, r)

	spec := r.read("api/openapi.yaml")
	adopted := strings.Replace(spec, `        externalRef:
          type: string
          description: The ID used by the provider to identify the app (optional).
          example: external-id-123`, `        externalRef:
          type: integer
          description: The ID used by the provider to identify the app (optional).
          example: 123`, 1)
	adopted = strings.Replace(adopted, `        authScheme:
          $ref: "#/components/schemas/AuthScheme"`, `        lastUsedTime:
          type: string
          format: date-time
          description: When the connection was last used.
        authScheme:
          $ref: "#/components/schemas/AuthScheme"`, 1)
	if strings.Count(adopted, "lastUsedTime") != 1 || !strings.Contains(adopted, "type: integer\n          description: The ID used by the provider") {
		t.Fatal("api/openapi.yaml changed: update the edits of this test")
	}
	r.write("api/openapi.yaml", adopted)
	s, text := summarize(t, opts)
	wantLines(t, text,
		"  M gen/connections.gen.go",
		"  + pkg github.com/ampersand-sdk/ampersand-go/gen, type Connection struct, LastUsedTime time.Time",
		"  - pkg github.com/ampersand-sdk/ampersand-go/gen, type ProviderApp struct, ExternalRef string",
		"  + pkg github.com/ampersand-sdk/ampersand-go/gen, type ProviderApp struct, ExternalRef int",
		"  compatible   gen Connection.LastUsedTime: added",
		"  incompatible gen ProviderApp.ExternalRef: changed from string to int; not named under ### Breaking in CHANGELOG.md [Unreleased]")
	if !strings.Contains(text, "Breaking: yes, 1 incompatible change(s)") {
		t.Error("the summary does not say the change is breaking")
	}
	for _, d := range s.Drift {
		if strings.Contains(d.Text, "externalRef") && d.Status != "resolved" {
			t.Errorf("the adopted type change is still drift: %+v", d)
		}
	}
	builds(t, r)
}
