package main

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/kinds/want.txt")

// The snapshot of a package with every kind of declaration matches testdata/kinds/want.txt.
func TestSnapshotOfEveryKind(t *testing.T) {
	t.Parallel()
	tree, err := loadTree("testdata/kinds", []Package{{Dir: "kinds"}})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(apiLines(tree.Types["kinds"]), "\n") + "\n"
	if *update {
		if err := os.WriteFile("testdata/kinds/want.txt", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/kinds/want.txt")
	if err != nil {
		t.Fatal(err)
	}
	if removed, added := diffLines(strings.Split(string(want), "\n"), strings.Split(got, "\n")); len(removed)+len(added) > 0 {
		t.Errorf("snapshot differs from testdata/kinds/want.txt (go test -update rewrites it):\n-%s\n+%s",
			strings.Join(removed, "\n-"), strings.Join(added, "\n+"))
	}
}
