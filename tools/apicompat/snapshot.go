package main

import (
	"fmt"
	"go/types"
	"sort"
	"strings"
)

// apiLines is the exported API of pkg, one declaration per line, sorted, in the form of Go's api/go1.N.txt:
//
//	pkg P, const Name = "untyped value"            pkg P, const Name T = value
//	pkg P, var Name T                              pkg P, func Name[T any](int, ...Option) (R, error)
//	pkg P, type Name = other.Type                  pkg P, type Name string
//	pkg P, type Name struct                        pkg P, type Name struct, Field T   (…, embedded T)
//	pkg P, type Name interface { M, N }            pkg P, type Name interface, M(int) error
//	pkg P, method (*Name) M(int) error
//
// Parameter names are left out (they are not API); type parameters keep theirs. Types of the package itself
// are unqualified, others are qualified by package name. A method line is written for every exported method
// in the method set of T and *T, promoted ones included; an interface lists its whole method set.
func apiLines(pkg *types.Package) []string {
	w := &writer{pkg: pkg}
	prefix := "pkg " + pkg.Path() + ", "
	var out []string
	add := func(s string) { out = append(out, prefix+s) }
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		switch obj := scope.Lookup(name).(type) {
		case *types.Const:
			if !obj.Exported() {
				continue
			}
			if b, ok := obj.Type().(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
				add("const " + name + " = " + obj.Val().ExactString())
			} else {
				add("const " + name + " " + w.typ(obj.Type()) + " = " + obj.Val().ExactString())
			}
		case *types.Var:
			if obj.Exported() {
				add("var " + name + " " + w.typ(obj.Type()))
			}
		case *types.Func:
			if obj.Exported() {
				sig := obj.Type().(*types.Signature)
				add("func " + name + w.typeParams(sig.TypeParams()) + w.signature(sig))
			}
		case *types.TypeName:
			if obj.Exported() {
				w.typeDecl(add, obj)
			}
		}
	}
	sort.Strings(out)
	return out
}

// writer formats types relative to one package.
type writer struct{ pkg *types.Package }

// typeDecl adds the lines of a type: its declaration, its exported fields or interface methods, and the
// methods of its method sets.
func (w *writer) typeDecl(add func(string), tn *types.TypeName) {
	if a, ok := tn.Type().(*types.Alias); ok {
		add("type " + tn.Name() + w.typeParams(a.TypeParams()) + " = " + w.typ(a.Rhs()))
		return
	}
	named, ok := tn.Type().(*types.Named)
	if !ok { // an alias when aliases are not materialized
		add("type " + tn.Name() + " = " + w.typ(tn.Type()))
		return
	}
	head := "type " + tn.Name() + w.typeParams(named.TypeParams())
	switch u := named.Underlying().(type) {
	case *types.Struct:
		add(head + " struct")
		for f := range u.Fields() {
			switch {
			case !f.Exported():
			case f.Embedded():
				add(head + " struct, embedded " + w.typ(f.Type()))
			default:
				add(head + " struct, " + f.Name() + " " + w.typ(f.Type()))
			}
		}
	case *types.Interface:
		if !u.IsMethodSet() { // a constraint: its type set is the declaration
			add(head + " " + types.TypeString(u, w.qualify))
			return
		}
		var names []string
		sealed := false
		for m := range u.Methods() {
			if !m.Exported() {
				sealed = true
				continue
			}
			names = append(names, m.Name())
			add(head + " interface, " + m.Name() + w.signature(m.Type().(*types.Signature)))
		}
		sort.Strings(names)
		if sealed { // other packages cannot implement it
			names = append(names, "unexported methods")
		}
		if len(names) == 0 {
			add(head + " interface {}")
			return
		}
		add(head + " interface { " + strings.Join(names, ", ") + " }")
		return
	default:
		add(head + " " + w.typ(u))
	}
	w.methods(add, named)
}

// methods adds a line for each exported method of T's and *T's method sets.
func (w *writer) methods(add func(string), named *types.Named) {
	recv := named.Obj().Name()
	if tps := named.TypeParams(); tps.Len() > 0 {
		var names []string
		for tp := range tps.TypeParams() {
			names = append(names, tp.Obj().Name())
		}
		recv += "[" + strings.Join(names, ", ") + "]"
	}
	value := types.NewMethodSet(named)
	for sel := range value.Methods() {
		if sel.Obj().Exported() {
			add("method (" + recv + ") " + sel.Obj().Name() + w.signature(sel.Type().(*types.Signature)))
		}
	}
	for sel := range types.NewMethodSet(types.NewPointer(named)).Methods() {
		if sel.Obj().Exported() && value.Lookup(sel.Obj().Pkg(), sel.Obj().Name()) == nil {
			add("method (*" + recv + ") " + sel.Obj().Name() + w.signature(sel.Type().(*types.Signature)))
		}
	}
}

func (w *writer) typeParams(tps *types.TypeParamList) string {
	if tps.Len() == 0 {
		return ""
	}
	var parts []string
	for tp := range tps.TypeParams() {
		parts = append(parts, tp.Obj().Name()+" "+w.typ(tp.Constraint()))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// signature formats a signature without its receiver and without parameter names: "(int, ...string) error".
func (w *writer) signature(sig *types.Signature) string {
	var params []string
	for i := range sig.Params().Len() {
		t := sig.Params().At(i).Type()
		if sig.Variadic() && i == sig.Params().Len()-1 {
			params = append(params, "..."+w.typ(t.(*types.Slice).Elem()))
			continue
		}
		params = append(params, w.typ(t))
	}
	s := "(" + strings.Join(params, ", ") + ")"
	switch res := sig.Results(); res.Len() {
	case 0:
	case 1:
		s += " " + w.typ(res.At(0).Type())
	default:
		var rs []string
		for v := range res.Variables() {
			rs = append(rs, w.typ(v.Type()))
		}
		s += " (" + strings.Join(rs, ", ") + ")"
	}
	return s
}

// typ formats a type as Go source does, without parameter names in function types.
func (w *writer) typ(t types.Type) string {
	switch t := t.(type) {
	case *types.Basic:
		return t.Name()
	case *types.Pointer:
		return "*" + w.typ(t.Elem())
	case *types.Slice:
		return "[]" + w.typ(t.Elem())
	case *types.Array:
		return fmt.Sprintf("[%d]%s", t.Len(), w.typ(t.Elem()))
	case *types.Map:
		return "map[" + w.typ(t.Key()) + "]" + w.typ(t.Elem())
	case *types.Chan:
		elem := w.typ(t.Elem())
		if c, ok := t.Elem().(*types.Chan); ok && c.Dir() == types.RecvOnly {
			elem = "(" + elem + ")"
		}
		return map[types.ChanDir]string{types.SendRecv: "chan ", types.SendOnly: "chan<- ", types.RecvOnly: "<-chan "}[t.Dir()] + elem
	case *types.Signature:
		return "func" + w.signature(t)
	case *types.Named:
		return w.qualify(t.Obj().Pkg()) + dot(t.Obj().Pkg(), w.pkg) + t.Obj().Name() + w.typeArgs(t.TypeArgs())
	case *types.Alias:
		return w.qualify(t.Obj().Pkg()) + dot(t.Obj().Pkg(), w.pkg) + t.Obj().Name() + w.typeArgs(t.TypeArgs())
	case *types.TypeParam:
		return t.Obj().Name()
	default: // inline struct and interface types, unions
		return types.TypeString(t, w.qualify)
	}
}

func (w *writer) typeArgs(args *types.TypeList) string {
	if args.Len() == 0 {
		return ""
	}
	var parts []string
	for a := range args.Types() {
		parts = append(parts, w.typ(a))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// qualify names other packages by package name and the package itself by nothing (a types.Qualifier).
func (w *writer) qualify(p *types.Package) string {
	if p == nil || p == w.pkg || p.Path() == w.pkg.Path() {
		return ""
	}
	return p.Name()
}

// dot is the "." between a qualifier and a name, when there is a qualifier.
func dot(p, self *types.Package) string {
	if p == nil || p == self || p.Path() == self.Path() {
		return ""
	}
	return "."
}
