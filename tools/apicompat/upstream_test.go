package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

var specverify = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "apicompat-specverify-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "specverify")
	cmd := exec.Command("go", "build", "-o", bin, "./internal/cmd/specverify")
	cmd.Dir = "../../.." // this repository's root module: the real drift check
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &exec.Error{Name: string(out), Err: err}
	}
	return bin, nil
})

// upstreamRepo is the fixture module (a spec, a generator run by go generate, the generated package and its
// snapshot) committed, with the reference copy holding testdata/upstream/previous.json.
func upstreamRepo(t *testing.T) (*repo, UpstreamOptions) {
	t.Helper()
	bin, err := specverify()
	if err != nil {
		t.Fatalf("building internal/cmd/specverify: %v", err)
	}
	r := newRepo(t, "upstream/repo")
	pkgs := []Package{{Dir: "gen", Snapshot: "api/go/gen.txt"}}
	if err := writeSnapshots(r.dir, pkgs, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	r.commit("fixture")
	ref := filepath.Join(t.TempDir(), "reference", "upstream.json")
	prev, err := os.ReadFile("testdata/upstream/previous.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(ref), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ref, prev, 0o644); err != nil {
		t.Fatal(err)
	}
	published, _ := filepath.Abs("testdata/upstream/published.json")
	return r, UpstreamOptions{
		Root: r.dir, Spec: published, Reference: ref, OurSpec: "api/openapi.json", Packages: pkgs,
		DriftCmd: []string{bin, "-spec", "{ours}", "-upstream", "{upstream}"},
	}
}

// A published document that adds a field, changes a type and adds an operation: the summary lists each as a
// new upstream difference, says that our document is unchanged, and that nothing regenerated or broke.
func TestUpstreamReportsEachDifference(t *testing.T) {
	t.Parallel()
	r, opts := upstreamRepo(t)
	s, text := summarize(t, opts)
	wantLines(t, text,
		"  new      DRIFT    getThing response 200 application/json property color: missing here (upstream has it)",
		"  new      DRIFT    getThing response 200 application/json .size type: ours [integer], upstream [string]",
		"  new      OPERATION createThing (POST /things): added upstream; not in api/openapi.json",
		"Regenerated (go generate ./..., from api/openapi.json):", "  no file changed",
		"  no change", "Breaking: no",
		"Result: the new upstream document needs attention (see above).")
	if !strings.Contains(text, "It does not change\napi/openapi.json: adopt a difference by editing it") || strings.Contains(text, "listWidgets") {
		t.Errorf("summary:\n%s", text)
	}
	if !s.Replaced || !s.Differs() || len(s.Drift) != 2 || len(s.Operations) != 1 || len(s.Regenerated) != 0 {
		t.Errorf("summary %+v:\n%s", s, text)
	}
	if got, _ := os.ReadFile(opts.Reference); !strings.Contains(string(got), "createThing") {
		t.Errorf("the reference copy was not replaced")
	}
	if st := r.git("status", "--porcelain"); st != "" || r.git("rev-list", "--count", "HEAD") != "1" {
		t.Errorf("the work tree changed or a commit was made: %q", st)
	}
	if md := s.Markdown(); !strings.HasPrefix(md, "## Upstream OpenAPI document\n\n```text\nupdate-upstream: ") || !strings.HasSuffix(md, "```\n") {
		t.Errorf("Markdown:\n%s", md)
	}
}

// When our document has adopted the changes, go generate rewrites the model: the summary names the
// regenerated file, the Go API lines that changed, and the changed field type as breaking.
func TestUpstreamAdoptedChangesRegenerateAndBreak(t *testing.T) {
	t.Parallel()
	r, opts := upstreamRepo(t)
	spec := r.read("api/openapi.json")
	adopted := strings.Replace(spec, `"size": {"type": "integer"}}`, `"size": {"type": "string"}, "color": {"type": "string"}}`, 1)
	if adopted == spec {
		t.Fatal("the fixture spec changed: update the test")
	}
	r.write("api/openapi.json", adopted)
	s, text := summarize(t, opts)
	wantLines(t, text,
		"  resolved DRIFT    getThing response 200 application/json property color: not upstream",
		"  M gen/models.gen.go",
		"  (1 file(s) had uncommitted changes before this run; listed only if regeneration changed them)",
		"Go API (api/go/*.txt against the working tree; changes classified against HEAD (the committed code: what regeneration changed, and any other uncommitted change)):",
		"  - pkg example.com/upfixture/gen, type Thing struct, Size *int",
		"  + pkg example.com/upfixture/gen, type Thing struct, Color *string",
		"  + pkg example.com/upfixture/gen, type Thing struct, Size *string",
		"  incompatible gen Thing.Size: changed from *int to *string; not named under ### Breaking in CHANGELOG.md [Unreleased]",
		"  compatible   gen Thing.Color: added",
		"Breaking: yes, 1 incompatible change(s), 1 not named under ### Breaking in CHANGELOG.md")
	if !slices.Equal(s.Regenerated, []string{"M gen/models.gen.go"}) || !s.Differs() {
		t.Errorf("regenerated %q (api/openapi.json was already modified, so it is not listed):\n%s", s.Regenerated, text)
	}
	for _, d := range s.Drift {
		if d.Status != "resolved" {
			t.Errorf("drift left after adopting every change: %+v", d)
		}
	}
}

// The same document again: nothing differs.
func TestUpstreamUnchanged(t *testing.T) {
	t.Parallel()
	_, opts := upstreamRepo(t)
	opts.Spec = opts.Reference
	s, err := Upstream(opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.Replaced || s.Differs() || !strings.Contains(s.Text(), "Result: nothing differs.") {
		t.Errorf("summary:\n%s", s.Text())
	}
}

// summarize runs Upstream, logs its summary and returns it with its text.
func summarize(t *testing.T, opts UpstreamOptions) (*Summary, string) {
	t.Helper()
	s, err := Upstream(opts)
	if err != nil {
		t.Fatal(err)
	}
	text := s.Text()
	t.Log("\n" + text)
	return s, text
}
