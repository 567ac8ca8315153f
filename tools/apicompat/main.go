// Command apicompat keeps the policy on the module's exported Go API:
//
//   - api/go/*.txt, one file per public package, is its exported API, one declaration per line;
//   - every incompatible change since the base commit, as golang.org/x/exp/apidiff classifies it, is named
//     under "### Breaking" in CHANGELOG.md ([Unreleased], or a release newer than the base).
//
// Usage, from the repository root (make api-snapshot, make api-check):
//
//	go -C tools run ./apicompat snapshot -root DIR
//	go -C tools run ./apicompat check -root DIR [-base REV]
//
// The base is -base when set, else the newest v* tag reachable from HEAD (not one on HEAD itself when the
// tree is clean), else HEAD when the working tree has changes, else HEAD~1. It is read with git archive into
// a temporary directory and type-checked there.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/exp/apidiff"
	"golang.org/x/mod/semver"
	"golang.org/x/tools/go/packages"
)

// pkg is one public package whose API is recorded.
type pkg struct {
	module, dir string   // the module's directory and the package's, relative to the root
	snapshot    string   // its record, relative to the root
	volatile    []string // constants whose value moves with every release, so a new value is compatible
}

var publicPackages = []pkg{
	{".", "api", "api/go/api.txt", nil},
	{".", "gen", "api/go/gen.txt", nil},
	{".", "pkg/amptest", "api/go/amptest.txt", nil},
	{".", "pkg/client", "api/go/client.txt", []string{"Version"}}, // the SDK's version, in the User-Agent
	{"otel", "otel", "api/go/otel.txt", []string{"Version"}},      // a module of its own
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is main without the process: 0 ok, 1 the check failed, 2 usage or a tool failure.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "snapshot" && args[0] != "check") {
		fmt.Fprintln(stderr, "usage: apicompat snapshot|check -root DIR [-base REV]")
		return 2
	}
	fl := flag.NewFlagSet("apicompat "+args[0], flag.ContinueOnError)
	fl.SetOutput(stderr)
	root := fl.String("root", ".", "the repository root")
	base := fl.String("base", "", "the commit to classify changes against (default: see the package doc)")
	if fl.Parse(args[1:]) != nil {
		return 2
	}
	var ok bool
	var err error
	if args[0] == "snapshot" {
		ok, err = true, snapshot(*root, publicPackages, stdout)
	} else {
		ok, err = check(*root, *base, publicPackages, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "apicompat: %v\n", err)
		return 2
	}
	if !ok {
		return 1
	}
	return 0
}

// snapshot rewrites the record of every package from the tree at root.
func snapshot(root string, pkgs []pkg, out io.Writer) error {
	types, err := load(root, pkgs)
	if err != nil {
		return err
	}
	for _, p := range pkgs {
		path := filepath.Join(root, p.snapshot)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(record(types[p.dir])), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s\n", p.snapshot)
	}
	return nil
}

// check compares the records with the tree at root, and the tree with the base; it prints each finding.
func check(root, base string, pkgs []pkg, out io.Writer) (bool, error) {
	rev, why, err := chooseBase(root, base)
	if err != nil {
		return false, err
	}
	now, err := load(root, pkgs)
	if err != nil {
		return false, err
	}
	ok := true
	for _, p := range pkgs {
		old, err := os.ReadFile(filepath.Join(root, p.snapshot))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
		if removed, added := lineDiff(string(old), record(now[p.dir])); len(removed)+len(added) > 0 {
			ok = false
			fmt.Fprintf(out, "FAIL %s is not the exported API of %s; run make api-snapshot, review and commit:\n", p.snapshot, p.dir)
			for _, l := range removed {
				fmt.Fprintf(out, "  - %s\n", l)
			}
			for _, l := range added {
				fmt.Fprintf(out, "  + %s\n", l)
			}
		}
	}
	dir, err := os.MkdirTemp("", "apicompat-base-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	if err := extract(root, rev, dir); err != nil {
		return false, err
	}
	before, err := load(dir, pkgs)
	if err != nil {
		return false, fmt.Errorf("the base %s: %w", rev, err)
	}
	changelog, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	version := ""
	if semver.IsValid(rev) {
		version = rev
	}
	entries := breakingEntries(string(changelog), version)
	var compatible, named int
	for _, p := range pkgs {
		for _, c := range changes(p, before[p.dir], now[p.dir]) {
			name, _, _ := strings.Cut(c.Message, ": ")
			switch e, found := naming(entries, nameForms(name)); {
			case c.Compatible:
				compatible++
			case found:
				named++
				fmt.Fprintf(out, "ok   incompatible %s %s, named under ### Breaking in CHANGELOG.md [%s]\n", p.dir, c.Message, e.Section)
			default:
				ok = false
				fmt.Fprintf(out, "FAIL incompatible change since %s in %s: %s\n     name %s under \"### Breaking\" in CHANGELOG.md's [Unreleased] section (or undo the change)\n",
					rev, p.dir, c.Message, name)
			}
		}
	}
	if ok {
		fmt.Fprintf(out, "ok   api/go/*.txt is the exported Go API; since %s (%s): %d compatible change(s), %d incompatible, each named in CHANGELOG.md\n",
			rev, why, compatible, named)
	}
	return ok, nil
}

// changes are apidiff's changes of one package, a removed package being one incompatible change and a new
// value of a volatile constant a compatible one.
func changes(p pkg, old, now *packages.Package) []apidiff.Change {
	switch {
	case old == nil && now == nil:
		return nil
	case old == nil:
		return []apidiff.Change{{Message: p.dir + ": package added", Compatible: true}}
	case now == nil:
		return []apidiff.Change{{Message: p.dir + ": package removed"}}
	}
	out := apidiff.Changes(old.Types, now.Types).Changes
	for i, c := range out {
		name, msg, _ := strings.Cut(c.Message, ": ")
		if slices.Contains(p.volatile, name) && strings.HasPrefix(msg, "value changed") {
			out[i].Compatible = true
		}
	}
	return out
}

// load type-checks the public packages of the tree at root, by directory; a package whose directory does not
// exist (a base older than it) is absent from the map.
func load(root string, pkgs []pkg) (map[string]*packages.Package, error) {
	out := map[string]*packages.Package{}
	for _, p := range pkgs {
		dir := filepath.Join(root, p.dir)
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		cfg := &packages.Config{Mode: packages.NeedName | packages.NeedTypes | packages.NeedImports, Dir: filepath.Join(root, p.module)}
		loaded, err := packages.Load(cfg, dir)
		if err != nil {
			return nil, err
		}
		if len(loaded) != 1 || len(loaded[0].Errors) > 0 {
			return nil, fmt.Errorf("loading %s: %v", p.dir, loaded[0].Errors)
		}
		out[p.dir] = loaded[0]
	}
	return out, nil
}

// chooseBase returns the commit to classify changes against, and why (see the package doc).
func chooseBase(root, explicit string) (rev, why string, err error) {
	if explicit != "" {
		return explicit, "API_BASE", nil
	}
	status, err := git(root, "status", "--porcelain")
	if err != nil {
		return "", "", err
	}
	tags, _ := git(root, "tag", "--merged", "HEAD", "--sort=-v:refname", "--list", "v*")
	atHead, _ := git(root, "tag", "--points-at", "HEAD", "--list", "v*")
	for _, t := range strings.Fields(tags) {
		if semver.IsValid(t) && (status != "" || !slices.Contains(strings.Fields(atHead), t)) {
			return t, "the newest v* tag reachable from HEAD", nil
		}
	}
	if status != "" {
		return "HEAD", "no v* tag; the working tree against the committed code", nil
	}
	if _, err := git(root, "rev-parse", "--verify", "--quiet", "HEAD~1^{commit}"); err != nil {
		return "HEAD", "no v* tag and no HEAD~1 (a shallow clone? fetch with fetch-depth: 0)", nil
	}
	return "HEAD~1", "no v* tag and a clean working tree: the last commit's changes", nil
}

// extract writes the tree of rev into dir with git archive.
func extract(root, rev, dir string) error {
	tarball := filepath.Join(dir, "base.tar")
	if _, err := git(root, "archive", "--format=tar", "-o", tarball, rev); err != nil {
		return err
	}
	if out, err := exec.Command("tar", "-x", "-f", tarball, "-C", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("tar: %w: %s", err, out)
	}
	return nil
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}
