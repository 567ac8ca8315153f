package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const libPkgs = "lib=api/go/lib.txt"

// compatRepo is the fixture package's old version, its snapshot written and committed, with the new
// version (a directory of testdata/compat) in the working tree.
func compatRepo(t *testing.T, newVersion string) *repo {
	t.Helper()
	r := newRepo(t, "compat/old")
	if code, out := r.run("snapshot", libPkgs); code != 0 {
		t.Fatalf("snapshot: exit %d:\n%s", code, out)
	}
	r.commit("old")
	if newVersion != "" {
		r.overlay("compat/" + newVersion)
	}
	return r
}

// The three incompatible changes fail, each named, and so does the stale snapshot, with its - and + lines.
func TestIncompatibleChangesFail(t *testing.T) {
	t.Parallel()
	r := compatRepo(t, "new")
	code, out := r.run("check", libPkgs)
	wantExit(t, code, 1, out)
	const unnamed = "; not named under ### Breaking in CHANGELOG.md [Unreleased]"
	wantLines(t, out,
		"base HEAD (no v* tag; the working tree against the committed code)",
		"FAIL api/go/lib.txt is not the API of example.com/compat/lib: run make api-snapshot",
		"- pkg example.com/compat/lib, const ColorBlue Color = \"blue\"",
		"- pkg example.com/compat/lib, func Remove()",
		"- pkg example.com/compat/lib, type Thing struct, Size int",
		"+ pkg example.com/compat/lib, const ColorGreen Color = \"green\"",
		"+ pkg example.com/compat/lib, func Added()",
		"+ pkg example.com/compat/lib, type Thing struct, Note string",
		"+ pkg example.com/compat/lib, type Thing struct, Size int64",
		"incompatible lib ColorBlue: removed"+unnamed,
		"incompatible lib Remove: removed"+unnamed,
		"incompatible lib Thing.Size: changed from int to int64"+unnamed,
		"compatible   lib Added: added",
		"compatible   lib ColorGreen: added",
		"compatible   lib Thing.Note: added",
		"FAIL 1 snapshot file(s) differ from the working tree's API: run make api-snapshot and commit them",
	)
	if !strings.Contains(out, "FAIL 3 incompatible change(s) since HEAD not named under \"### Breaking\"") {
		t.Errorf("no verdict on the three incompatible changes:\n%s", out)
	}

	// Recording the snapshot is not enough.
	r.run("snapshot", libPkgs)
	code, out = r.run("check", libPkgs)
	wantExit(t, code, 1, out)
	if strings.Contains(out, "snapshot file(s) differ") || !strings.Contains(out, "FAIL 3 incompatible") {
		t.Errorf("after make api-snapshot, want only the incompatible changes to fail:\n%s", out)
	}
}

// An added field, function and constant are compatible: once the snapshot is recorded, the check passes.
func TestCompatibleChangesNeedOnlyTheSnapshot(t *testing.T) {
	t.Parallel()
	r := compatRepo(t, "added")
	code, out := r.run("check", libPkgs)
	wantExit(t, code, 1, out)
	wantLines(t, out, "FAIL 1 snapshot file(s) differ from the working tree's API: run make api-snapshot and commit them")
	if strings.Contains(out, "incompatible") {
		t.Errorf("an addition is classified incompatible:\n%s", out)
	}
	if code, out := r.run("snapshot", libPkgs); code != 0 {
		t.Fatalf("snapshot: exit %d:\n%s", code, out)
	}
	code, out = r.run("check", libPkgs)
	wantExit(t, code, 0, out)
	wantLines(t, out,
		"ok   api/go/lib.txt is the API of example.com/compat/lib (11 lines)",
		"compatible   lib Added: added",
		"compatible   lib ColorGreen: added",
		"compatible   lib Thing.Note: added",
		"ok   3 API change(s) since HEAD, every incompatible one named in CHANGELOG.md",
	)
}

// An incompatible change passes only when an entry of "### Breaking" under [Unreleased] names it.
func TestBreakingEntryExcusesTheChange(t *testing.T) {
	t.Parallel()
	const head = "# Changelog\n\n## [Unreleased]\n\n"
	for _, tc := range []struct {
		name, changelog string
		exit            int
		want            []string
	}{
		{"no entry", head + "### Added\n\n- `Added`.\n", 1, []string{
			"incompatible lib Remove: removed; not named under ### Breaking in CHANGELOG.md [Unreleased]"}},
		{"entries under another subsection", head + "### Changed\n\n- `Remove`, `ColorBlue` and `Thing.Size`.\n", 1, nil},
		{"entries under a released version", "## [Unreleased]\n\n## [0.1.0] - 2026-01-01\n\n### Breaking\n\n- `Remove`, `ColorBlue`, `Thing.Size`.\n", 1, nil},
		{"a near miss", head + "### Breaking\n\n- `Remove` and `ColorBlue` are gone.\n- `Thing.Sizes` and `Thing` are int64s.\n", 1, []string{
			"incompatible lib Remove: removed; named under ### Breaking in CHANGELOG.md [Unreleased]: \"`Remove` and `ColorBlue` are gone.\"",
			"incompatible lib Thing.Size: changed from int to int64; not named under ### Breaking in CHANGELOG.md [Unreleased]",
			"FAIL 1 incompatible change(s) since HEAD not named under \"### Breaking\" in CHANGELOG.md's [Unreleased] section: add an entry that names each declaration (for example \"- `Thing.Size`: changed from int to int64.\")"}},
		{"every change named", head + "### Breaking\n\n- `Remove` is gone; use\n  `Added`.\n* lib.ColorBlue: removed.\n- gen: `lib.Thing.Size` is an int64.\n\n### Added\n\n- Things.\n", 0, []string{
			"incompatible lib ColorBlue: removed; named under ### Breaking in CHANGELOG.md [Unreleased]: \"lib.ColorBlue: removed.\"",
			"incompatible lib Remove: removed; named under ### Breaking in CHANGELOG.md [Unreleased]: \"`Remove` is gone; use `Added`.\"",
			"ok   6 API change(s) since HEAD, every incompatible one named in CHANGELOG.md"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := compatRepo(t, "new")
			r.run("snapshot", libPkgs)
			r.write("CHANGELOG.md", tc.changelog)
			code, out := r.run("check", libPkgs)
			wantExit(t, code, tc.exit, out)
			wantLines(t, out, tc.want...)
		})
	}
}

// With a release tag, the check classifies against it even when the tree is clean, and a Breaking entry
// counts under [Unreleased] or a version after the tag (the release commit renames [Unreleased]).
func TestReleaseTagIsTheBase(t *testing.T) {
	t.Parallel()
	r := compatRepo(t, "")
	r.git("tag", "v0.1.0")
	r.overlay("compat/new")
	r.run("snapshot", libPkgs)
	r.write("CHANGELOG.md", "## [0.1.0]\n\n### Breaking\n\n- `Remove`, `ColorBlue`, `Thing.Size`.\n")
	r.commit("new")
	code, out := r.run("check", libPkgs)
	wantExit(t, code, 1, out)
	wantLines(t, out, "base v0.1.0 (the newest v* tag reachable from HEAD)")
	if !strings.Contains(out, "FAIL 3 incompatible change(s) since v0.1.0") {
		t.Errorf("entries of the base release itself count:\n%s", out)
	}

	r.write("CHANGELOG.md", "## [Unreleased]\n\n## [0.2.0] - 2026-02-01\n\n### Breaking\n\n- `Remove`, `ColorBlue`, `Thing.Size`.\n\n## [0.1.0]\n")
	r.commit("release 0.2.0")
	r.git("tag", "v0.2.0") // on HEAD with a clean tree: the base stays v0.1.0
	code, out = r.run("check", libPkgs)
	wantExit(t, code, 0, out)
	wantLines(t, out, "base v0.1.0 (the newest v* tag reachable from HEAD)",
		"incompatible lib Remove: removed; named under ### Breaking in CHANGELOG.md [0.2.0]: \"`Remove`, `ColorBlue`, `Thing.Size`.\"")
}

// A package of a nested module is recorded and type-checked in its own module; when its directory goes, the
// removal is incompatible, its snapshot is stale until deleted, and an absent package is skipped.
func TestNestedModulePackage(t *testing.T) {
	t.Parallel()
	const pkgs = "lib=api/go/lib.txt,sub=api/go/sub.txt,missing=api/go/missing.txt"
	r := newRepo(t, "nested")
	code, out := r.run("snapshot", pkgs)
	wantExit(t, code, 0, out)
	wantLines(t, out, "wrote api/go/sub.txt (1 lines, example.com/nested/sub)",
		"SKIP api/go/missing.txt: directory missing is absent")
	if got := r.read("api/go/sub.txt"); !strings.Contains(got, "\npkg example.com/nested/sub, func Wrap(*lib.Client) *lib.Client\n") {
		t.Errorf("api/go/sub.txt:\n%s", got)
	}
	r.commit("with sub")
	if err := os.RemoveAll(filepath.Join(r.dir, "sub")); err != nil {
		t.Fatal(err)
	}
	code, out = r.run("check", pkgs)
	wantExit(t, code, 1, out)
	wantLines(t, out,
		"incompatible sub example.com/nested/sub: package removed; not named under ### Breaking in CHANGELOG.md [Unreleased]",
		"- pkg example.com/nested/sub, func Wrap(*lib.Client) *lib.Client",
		"SKIP api/go/missing.txt: directory missing is absent")

	r.run("snapshot", pkgs)
	if _, err := os.Stat(filepath.Join(r.dir, "api/go/sub.txt")); !os.IsNotExist(err) {
		t.Errorf("the snapshot of a removed package is still there: %v", err)
	}
	r.write("CHANGELOG.md", "## [Unreleased]\n\n### Breaking\n\n- The `sub` module is gone.\n")
	code, out = r.run("check", pkgs)
	wantExit(t, code, 0, out)
}

// Each public package of this module has a directory (or is optional), and the snapshots live in api/go.
func TestDefaultPackagesExist(t *testing.T) {
	for _, p := range defaultPackages {
		if _, err := os.Stat(filepath.Join("../../..", p.Dir)); err != nil && !p.Optional {
			t.Errorf("%s: %v", p.Dir, err)
		}
		if !strings.HasPrefix(p.Snapshot, "api/go/") {
			t.Errorf("%s: snapshot %s is not under api/go/", p.Dir, p.Snapshot)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"upstream"}, {"check", "-packages", "nodir"}} {
		var out strings.Builder
		if code := run(args, &out, &out); code != 2 {
			t.Errorf("%q: exit %d, want 2:\n%s", args, code, out.String())
		}
	}
}
