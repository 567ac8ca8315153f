package main

import (
	"errors"
	"fmt"
	"go/types"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/tools/go/packages"
)

// Tree is the type-checked public packages of one copy of the repository (the working tree, or a base
// commit extracted to a temporary directory).
type Tree struct {
	Root   string
	Types  map[string]*types.Package // by Package.Dir; an absent directory has no entry
	Paths  map[string]string         // import path by Package.Dir, also for an absent directory
	Absent map[string]bool           // Package.Dir whose directory does not exist
}

// loadTree type-checks pkgs in root. Each package is loaded in the module that holds it (the nearest go.mod
// at or above its directory), so packages of a nested module are loaded with that module's requirements.
// A missing directory is recorded in Absent; it is an error only for a package that is not Optional.
func loadTree(root string, pkgs []Package) (*Tree, error) {
	t := &Tree{Root: root, Types: map[string]*types.Package{}, Paths: map[string]string{}, Absent: map[string]bool{}}
	byModule := map[string][]Package{} // module directory → its packages
	var order []string
	for _, p := range pkgs {
		dir := filepath.Join(root, filepath.FromSlash(p.Dir))
		modDir, modPath, err := moduleOf(root, dir)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(modDir, dir)
		t.Paths[p.Dir] = path.Join(modPath, filepath.ToSlash(rel))
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			if !p.Optional {
				return nil, fmt.Errorf("%s: package directory %s not found", root, p.Dir)
			}
			t.Absent[p.Dir] = true
			continue
		}
		if _, seen := byModule[modDir]; !seen {
			order = append(order, modDir)
		}
		byModule[modDir] = append(byModule[modDir], p)
	}
	for _, modDir := range order {
		if err := t.loadModule(modDir, byModule[modDir]); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// loadModule type-checks pkgs, all of the module in modDir, from export data (`go list -export`).
func (t *Tree) loadModule(modDir string, pkgs []Package) error {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedTypes,
		Dir:  modDir,
		// A go.work of the developer's must not change which code is read.
		Env: append(os.Environ(), "GOWORK=off"),
	}
	want := map[string]string{} // import path → Package.Dir
	var patterns []string
	for _, p := range pkgs {
		want[t.Paths[p.Dir]] = p.Dir
		patterns = append(patterns, t.Paths[p.Dir])
	}
	loaded, err := packages.Load(cfg, patterns...)
	if err != nil {
		return fmt.Errorf("loading %s: %w", modDir, err)
	}
	var problems []string
	seen := map[string]bool{}
	for _, lp := range loaded {
		for _, e := range lp.Errors {
			if e.Kind != packages.ListError && !seen[e.Msg] && len(problems) < 10 {
				seen[e.Msg] = true
				problems = append(problems, e.Error())
			}
		}
		if dir, ok := want[lp.PkgPath]; ok && len(lp.Errors) == 0 {
			t.Types[dir] = lp.Types
		} else if len(lp.Errors) > 0 && len(problems) == 0 {
			problems = append(problems, lp.Errors[0].Error())
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("type-checking %s (first errors):\n\t%s", modDir, strings.Join(problems, "\n\t"))
	}
	for p, dir := range want {
		if t.Types[dir] == nil {
			return fmt.Errorf("%s: package %s was not loaded", modDir, p)
		}
	}
	return nil
}

// moduleOf finds the go.mod that holds dir (which need not exist): the nearest one at or above it, not
// above root. It returns the module's directory and path.
func moduleOf(root, dir string) (string, string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			mp := modfile.ModulePath(data)
			if mp == "" {
				return "", "", fmt.Errorf("%s/go.mod has no module line", d)
			}
			return d, mp, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", "", err
		}
		if d == root || d == filepath.Dir(d) {
			return "", "", fmt.Errorf("no go.mod at or above %s within %s", dir, root)
		}
	}
}
