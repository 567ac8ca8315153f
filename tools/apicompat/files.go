package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// snapshotHeader starts every snapshot file; lines starting with # are not declarations.
const snapshotHeader = "# The exported API of %s, one declaration per line, in the form of Go's api/go1.N.txt.\n" +
	"# Written by `make api-snapshot` (internal/cmd/apicompat) and checked by `make api-check`; do not edit.\n"

// SnapshotDiff compares one package's recorded API with the working tree's.
type SnapshotDiff struct {
	Package Package
	Path    string   // import path
	Absent  bool     // the package's directory does not exist (an optional package)
	Want    []string // the working tree's API lines (nil when Absent)
	Removed []string // recorded, no longer in the working tree
	Added   []string // in the working tree, not recorded
	Missing bool     // no snapshot file
}

// Stale reports whether the snapshot file must be rewritten.
func (d SnapshotDiff) Stale() bool {
	return len(d.Removed) > 0 || len(d.Added) > 0 || (d.Missing && !d.Absent)
}

// diffSnapshots compares each package's snapshot file in root with the API of the loaded working tree.
func diffSnapshots(root string, tree *Tree, pkgs []Package) ([]SnapshotDiff, error) {
	var out []SnapshotDiff
	for _, p := range pkgs {
		d := SnapshotDiff{Package: p, Path: tree.Paths[p.Dir], Absent: tree.Absent[p.Dir]}
		if !d.Absent {
			d.Want = apiLines(tree.Types[p.Dir])
		}
		have, err := readSnapshot(filepath.Join(root, filepath.FromSlash(p.Snapshot)))
		if errors.Is(err, fs.ErrNotExist) {
			d.Missing = true
		} else if err != nil {
			return nil, err
		}
		d.Removed, d.Added = diffLines(have, d.Want)
		out = append(out, d)
	}
	return out, nil
}

// readSnapshot returns the declaration lines of a snapshot file.
func readSnapshot(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// diffLines returns the lines only in old and the lines only in new, each in the order given.
func diffLines(old, new []string) (removed, added []string) {
	inOld, inNew := map[string]bool{}, map[string]bool{}
	for _, l := range old {
		inOld[l] = true
	}
	for _, l := range new {
		inNew[l] = true
		if !inOld[l] {
			added = append(added, l)
		}
	}
	for _, l := range old {
		if !inNew[l] {
			removed = append(removed, l)
		}
	}
	return removed, added
}

// writeSnapshots rewrites the snapshot file of every package from the working tree in root, and deletes
// the file of an optional package whose directory is absent.
func writeSnapshots(root string, pkgs []Package, out io.Writer) error {
	tree, err := loadTree(root, pkgs)
	if err != nil {
		return err
	}
	for _, p := range pkgs {
		file := filepath.Join(root, filepath.FromSlash(p.Snapshot))
		if tree.Absent[p.Dir] {
			if err := os.Remove(file); err == nil {
				fmt.Fprintf(out, "removed %s: directory %s is absent\n", p.Snapshot, p.Dir)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			} else {
				fmt.Fprintf(out, "SKIP %s: directory %s is absent\n", p.Snapshot, p.Dir)
			}
			continue
		}
		lines := apiLines(tree.Types[p.Dir])
		text := fmt.Sprintf(snapshotHeader, tree.Paths[p.Dir]) + strings.Join(lines, "\n") + "\n"
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s (%d lines, %s)\n", p.Snapshot, len(lines), tree.Paths[p.Dir])
	}
	return nil
}
