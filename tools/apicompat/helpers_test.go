package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// repo is a git work tree built from fixture directories under testdata, in a temporary directory.
type repo struct {
	t   *testing.T
	dir string
}

// newRepo copies the fixture directories, each over the previous, into a new git work tree (nothing
// committed yet).
func newRepo(t *testing.T, fixtures ...string) *repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("SKIP: git not found: the compatibility check reads the base commit with git")
	}
	r := &repo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	for _, f := range fixtures {
		r.overlay(f)
	}
	return r
}

// overlay copies the files of testdata/fixture into the work tree, replacing those of the same name.
func (r *repo) overlay(fixture string) {
	r.t.Helper()
	src := filepath.Join("testdata", fixture)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		r.write(rel, string(data))
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
}

func (r *repo) write(rel, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *repo) read(rel string) string {
	r.t.Helper()
	data, err := os.ReadFile(filepath.Join(r.dir, rel))
	if err != nil {
		r.t.Fatal(err)
	}
	return string(data)
}

// git runs git in the work tree with a fixed identity and no user or system configuration.
func (r *repo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *repo) commit(msg string) {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
}

// run runs the command in the work tree (-root) with the given -packages and, unless args set it, no base
// (so that $API_BASE does not leak in). It returns the exit status and the combined output.
func (r *repo) run(cmd, packages string, args ...string) (int, string) {
	r.t.Helper()
	all := []string{cmd, "-root", r.dir, "-packages", packages}
	if cmd != "snapshot" && !slices.Contains(args, "-base") {
		all = append(all, "-base", "")
	}
	var out bytes.Buffer
	code := run(append(all, args...), &out, &out)
	return code, out.String()
}

// wantLines fails unless out has every line of want, each as a whole line.
func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	lines := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		lines[l] = true
	}
	for _, w := range want {
		if !lines[w] {
			t.Errorf("output lacks the line\n\t%s\nin:\n%s", w, out)
		}
	}
}

// wantExit fails unless code is want, printing out.
func wantExit(t *testing.T, code, want int, out string) {
	t.Helper()
	if code != want {
		t.Fatalf("exit %d, want %d:\n%s", code, want, out)
	}
}
