package main

import (
	"strings"
	"testing"
)

// chooseBase: $API_BASE, else the newest reachable v* tag (a tag on HEAD only for a dirty tree), else HEAD
// for a dirty tree, else HEAD~1, else HEAD.
func TestChooseBase(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("a.txt", "1")
	r.commit("c1")
	c1 := r.git("rev-parse", "HEAD")
	want := func(explicit, rev, commit, why string) {
		t.Helper()
		b, err := chooseBase(r.dir, explicit)
		if err != nil {
			t.Fatal(err)
		}
		if b.Rev != rev || b.Commit != commit || !strings.HasPrefix(b.Why, why) {
			t.Errorf("chooseBase(%q) = %+v, want %s %s (%s…)", explicit, b, rev, commit, why)
		}
	}
	want("", "HEAD", c1, "no v* tag, clean working tree and no HEAD~1")
	r.write("a.txt", "2")
	want("", "HEAD", c1, "no v* tag; the working tree against the committed code")
	r.commit("c2")
	c2 := r.git("rev-parse", "HEAD")
	want("", "HEAD~1", c1, "no v* tag and a clean working tree")
	want(c1[:10], c1[:10], c1, "API_BASE")

	r.git("tag", "v0.9.0", c1)
	r.git("tag", "v0.10.0", c2) // newer than v0.9.0 by semver, older by string order
	r.git("tag", "vnext", c1)   // not a version: ignored
	r.git("branch", "side", c1)
	r.git("checkout", "-q", "side")
	r.commit("side")
	r.git("tag", "v9.0.0") // not reachable from main
	r.git("checkout", "-q", "main")
	r.write("a.txt", "3")
	r.commit("c3")
	want("", "v0.10.0", c2, "the newest v* tag reachable from HEAD")

	r.git("tag", "v0.11.0") // on HEAD: the release commit is compared with the previous release
	want("", "v0.10.0", c2, "the newest v* tag")
	r.write("a.txt", "4") // unless the working tree has changed since
	want("", "v0.11.0", r.git("rev-parse", "HEAD"), "the newest v* tag")
	want("v0.9.0", "v0.9.0", c1, "API_BASE")

	if _, err := chooseBase(r.dir, "no-such-rev"); err == nil || !strings.Contains(err.Error(), "API_BASE=no-such-rev names no commit") {
		t.Errorf("an unknown API_BASE: %v", err)
	}
}
