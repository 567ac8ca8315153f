package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The policy end to end on a fixture repository: a clean tree passes; an incompatible change fails, naming
// the stale record and each change not named in CHANGELOG.md; named under ### Breaking, it passes.
func TestCheckPolicy(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/compat/old")); err != nil {
		t.Fatal(err)
	}
	pkgs := []pkg{{".", "lib", "api/go/lib.txt", nil}}
	var out bytes.Buffer
	if err := snapshot(dir, pkgs, &out); err != nil {
		t.Fatal(err)
	}
	gitIn(t, dir, "init", "-q")
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "old")
	if ok, out := checkIn(t, dir, pkgs); !ok || !strings.Contains(out, "0 compatible change(s), 0 incompatible") {
		t.Fatalf("clean tree: ok=%v\n%s", ok, out)
	}

	newLib, err := os.ReadFile("testdata/compat/new/lib/lib.go")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lib", "lib.go"), newLib, 0o644); err != nil {
		t.Fatal(err)
	}
	ok, got := checkIn(t, dir, pkgs)
	for _, want := range []string{
		"FAIL api/go/lib.txt is not the exported API of lib; run make api-snapshot",
		"  - func Remove()\n", "  + func Added()\n", "  + type Thing struct, Note string\n",
		"FAIL incompatible change since HEAD in lib: Remove: removed\n     name Remove under \"### Breaking\"",
		"FAIL incompatible change since HEAD in lib: ColorBlue: removed",
		"FAIL incompatible change since HEAD in lib: Thing.Size: changed from int to int64",
	} {
		if ok || !strings.Contains(got, want) {
			t.Errorf("after incompatible changes: ok=%v, output lacks %q:\n%s", ok, want, got)
		}
	}
	if strings.Contains(got, "Added") && strings.Contains(got, "FAIL incompatible change since HEAD in lib: Added") {
		t.Errorf("a compatible change is called incompatible:\n%s", got)
	}

	if err := snapshot(dir, pkgs, &out); err != nil {
		t.Fatal(err)
	}
	changelog := "# Changelog\n\n## [Unreleased]\n\n### Breaking\n\n- `Remove` and `ColorBlue` are gone;\n  `Thing.Size` is an int64.\n"
	if err := os.WriteFile(filepath.Join(dir, "CHANGELOG.md"), []byte(changelog), 0o644); err != nil {
		t.Fatal(err)
	}
	if ok, got := checkIn(t, dir, pkgs); !ok || !strings.Contains(got, "3 compatible change(s), 3 incompatible, each named in CHANGELOG.md") {
		t.Errorf("named in CHANGELOG.md: ok=%v\n%s", ok, got)
	}
}

func checkIn(t *testing.T, dir string, pkgs []pkg) (bool, string) {
	t.Helper()
	var out bytes.Buffer
	ok, err := check(dir, "", pkgs, &out)
	if err != nil {
		t.Fatal(err)
	}
	return ok, out.String()
}

func gitIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestUsage(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"frobnicate"}, &out, &out); code != 2 || !strings.Contains(out.String(), "usage") {
		t.Errorf("exit %d: %s", code, out.String())
	}
}
