package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/exp/apidiff"
)

// Finding is one API change between the base and the working tree, as apidiff classifies it.
type Finding struct {
	Dir        string // the package (Package.Dir)
	Name       string // the declaration apidiff names: "Connection.ID", "(*Client).Do"; the import path for a package
	Message    string // what changed: "removed", "changed from string to int", …
	Compatible bool
	Package    bool   // the whole package was added or removed
	Policy     string // why a change apidiff calls incompatible is compatible here (a Volatile constant)
	Entry      *Entry // the CHANGELOG.md entry that names an incompatible change, if any
}

// Excused reports whether the change needs nothing but an updated snapshot.
func (f Finding) Excused() bool { return f.Compatible || f.Entry != nil }

// String is the report line: the class, the package, the declaration, the change, and what excuses it.
func (f Finding) String() string {
	kind := "incompatible"
	if f.Compatible {
		kind = "compatible"
	}
	s := fmt.Sprintf("%-12s %s %s: %s", kind, f.Dir, f.Name, f.Message)
	switch {
	case f.Policy != "":
		s += " (" + f.Policy + ")"
	case f.Entry != nil:
		s += fmt.Sprintf("; named under ### Breaking in CHANGELOG.md [%s]: %q", f.Entry.Section, clip(f.Entry.Text, 80))
	case !f.Compatible:
		s += "; not named under ### Breaking in CHANGELOG.md [Unreleased]"
	}
	return s
}

// classify compares each package of old with the same package of new.
func classify(old, new *Tree, pkgs []Package) []Finding {
	var out []Finding
	for _, p := range pkgs {
		o, n := old.Types[p.Dir], new.Types[p.Dir]
		switch {
		case o == nil && n == nil:
		case o == nil:
			out = append(out, Finding{Dir: p.Dir, Name: new.Paths[p.Dir], Message: "package added", Compatible: true, Package: true})
		case n == nil:
			out = append(out, Finding{Dir: p.Dir, Name: old.Paths[p.Dir], Message: "package removed", Package: true})
		default:
			for _, c := range apidiff.Changes(o, n).Changes {
				name, msg, _ := strings.Cut(c.Message, ": ")
				f := Finding{Dir: p.Dir, Name: name, Message: msg, Compatible: c.Compatible}
				if !f.Compatible && slices.Contains(p.Volatile, name) && strings.HasPrefix(msg, "value changed") {
					f.Compatible, f.Policy = true, "compatible by policy: its value moves with every release"
				}
				out = append(out, f)
			}
		}
	}
	return out
}

// APIReport is the outcome of comparing the working tree's API with the snapshots and with the base.
type APIReport struct {
	Base      Base
	Snapshots []SnapshotDiff
	Findings  []Finding
}

// buildReport loads the working tree in root and the base commit, diffs the snapshots, classifies the
// changes and looks each incompatible one up in CHANGELOG.md.
func buildReport(root string, pkgs []Package, explicitBase string) (*APIReport, error) {
	base, err := chooseBase(root, explicitBase)
	if err != nil {
		return nil, err
	}
	newTree, err := loadTree(root, pkgs)
	if err != nil {
		return nil, err
	}
	snaps, err := diffSnapshots(root, newTree, pkgs)
	if err != nil {
		return nil, err
	}
	oldDir, err := extract(root, base.Commit)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(oldDir)
	oldTree, err := loadTree(oldDir, optional(pkgs))
	if err != nil {
		return nil, fmt.Errorf("the base %s: %w", base.Rev, err)
	}
	changelog, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	entries := breakingEntries(string(changelog), base.Version)
	findings := classify(oldTree, newTree, pkgs)
	for i, f := range findings {
		if !f.Compatible {
			if e, ok := naming(entries, nameForms(f)); ok {
				findings[i].Entry = &e
			}
		}
	}
	return &APIReport{Base: base, Snapshots: snaps, Findings: findings}, nil
}

// optional marks every package optional: a package added since the base is absent from it.
func optional(pkgs []Package) []Package {
	out := slices.Clone(pkgs)
	for i := range out {
		out[i].Optional = true
	}
	return out
}

// Stale lists the snapshot files that differ from the working tree.
func (r *APIReport) Stale() []SnapshotDiff {
	var out []SnapshotDiff
	for _, d := range r.Snapshots {
		if d.Stale() {
			out = append(out, d)
		}
	}
	return out
}

// Unexcused lists the incompatible changes that no CHANGELOG.md entry names.
func (r *APIReport) Unexcused() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if !f.Excused() {
			out = append(out, f)
		}
	}
	return out
}

// Breaking lists every incompatible change, excused or not.
func (r *APIReport) Breaking() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if !f.Compatible {
			out = append(out, f)
		}
	}
	return out
}

// OK reports whether the check passes: the snapshots are current and every incompatible change is named.
func (r *APIReport) OK() bool { return len(r.Stale()) == 0 && len(r.Unexcused()) == 0 }

// Lines renders the report for `make api-check`.
func (r *APIReport) Lines() []string {
	out := []string{"base " + r.Base.String()}
	for _, d := range r.Snapshots {
		switch {
		case d.Absent && d.Missing:
			out = append(out, fmt.Sprintf("SKIP %s: directory %s is absent", d.Package.Snapshot, d.Package.Dir))
		case d.Stale():
			out = append(out, fmt.Sprintf("FAIL %s is not the API of %s: run make api-snapshot", d.Package.Snapshot, d.Path))
			for _, l := range d.Removed {
				out = append(out, "- "+l)
			}
			for _, l := range d.Added {
				out = append(out, "+ "+l)
			}
		default:
			out = append(out, fmt.Sprintf("ok   %s is the API of %s (%d lines)", d.Package.Snapshot, d.Path, len(d.Want)))
		}
	}
	for _, f := range r.Findings {
		out = append(out, f.String())
	}
	since := r.Base.Rev
	if u := r.Unexcused(); len(u) > 0 {
		out = append(out, fmt.Sprintf("FAIL %d incompatible change(s) since %s not named under \"### Breaking\" in CHANGELOG.md's [Unreleased] section: add an entry that names each declaration (for example \"- `%s`: %s.\")",
			len(u), since, u[0].Name, u[0].Message))
	}
	if n := len(r.Stale()); n > 0 {
		out = append(out, fmt.Sprintf("FAIL %d snapshot file(s) differ from the working tree's API: run make api-snapshot and commit them", n))
	}
	switch {
	case !r.OK():
	case len(r.Findings) == 0:
		out = append(out, "ok   no API change since "+since)
	default:
		out = append(out, fmt.Sprintf("ok   %d API change(s) since %s, every incompatible one named in CHANGELOG.md", len(r.Findings), since))
	}
	return out
}

// runCheck is `apicompat check`: it prints the report and returns whether the check passed.
func runCheck(root string, pkgs []Package, base string, out io.Writer) (bool, error) {
	r, err := buildReport(root, pkgs, base)
	if err != nil {
		return false, err
	}
	for _, l := range r.Lines() {
		fmt.Fprintln(out, l)
	}
	return r.OK(), nil
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
