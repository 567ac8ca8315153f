package main

import (
	"fmt"
	"go/types"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"
)

// record is a package's exported API, one declaration per sorted line, with a header: what api/go/*.txt
// holds. Struct fields and interface methods are lines of their own, so a diff names them.
func record(p *packages.Package) string {
	if p == nil {
		return ""
	}
	pkg := p.Types
	q := func(other *types.Package) string {
		if other == pkg {
			return ""
		}
		return other.Name()
	}
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	for _, name := range pkg.Scope().Names() {
		obj := pkg.Scope().Lookup(name)
		if !obj.Exported() {
			continue
		}
		if c, ok := obj.(*types.Const); ok {
			add("%s = %s", types.ObjectString(obj, q), c.Val().ExactString())
			continue
		}
		tn, ok := obj.(*types.TypeName)
		if !ok || tn.IsAlias() {
			add("%s", types.ObjectString(obj, q))
			continue
		}
		named := tn.Type().(*types.Named)
		switch u := named.Underlying().(type) {
		case *types.Struct:
			add("type %s struct", name)
			for f := range u.Fields() {
				if f.Exported() {
					add("type %s struct, %s %s", name, f.Name(), types.TypeString(f.Type(), q))
				}
			}
		case *types.Interface:
			add("type %s interface", name)
			for m := range u.Methods() {
				if m.Exported() {
					add("type %s interface, %s", name, types.ObjectString(m, q))
				} else {
					add("type %s interface, unexported methods", name)
				}
			}
		default:
			add("%s", types.ObjectString(obj, q))
		}
		for sel := range types.NewMethodSet(types.NewPointer(named)).Methods() { // value and pointer methods
			if sel.Obj().Exported() {
				add("%s", types.ObjectString(sel.Obj(), q))
			}
		}
	}
	slices.Sort(lines)
	return fmt.Sprintf("# The exported API of %s, one declaration per line.\n# Written by `make api-snapshot` (tools/apicompat) and checked by `make api-check`; do not edit.\n%s\n",
		pkg.Path(), strings.Join(lines, "\n"))
}

// lineDiff returns the lines only in old and those only in new.
func lineDiff(old, new string) (removed, added []string) {
	o, n := strings.Split(old, "\n"), strings.Split(new, "\n")
	for _, l := range o {
		if l != "" && !slices.Contains(n, l) {
			removed = append(removed, l)
		}
	}
	for _, l := range n {
		if l != "" && !slices.Contains(o, l) {
			added = append(added, l)
		}
	}
	return removed, added
}
