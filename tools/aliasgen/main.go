// Command aliasgen writes pkg/client/models.gen.go, which makes package client the only package users
// import: a type alias (type X = gen.X) for each model of package gen that the client exposes, the constants
// of each aliased enum (const AuthSchemeNone = gen.AuthSchemeNone) and an XValues function listing them.
// `go generate` runs it (pkg/client/doc.go), and make verify-generated runs it with -check:
//
//	go -C tools run ./aliasgen -gen ../gen -client ../pkg/client -o ../pkg/client/models.gen.go [-check]
//
// The aliased types are found, not listed: the client package is type-checked without the output file, and
// the roots are the gen names its code uses unqualified (each is an "undefined" error then; for a constant,
// its type) and the gen types in its exported API (exported declarations of files without a "Code
// generated" line, and the exported fields and methods of its exported types). From the roots it follows
// gen's named types through their exported fields, elements and signatures. A gen.X used only inside function bodies or unexported declarations (the request
// builders and their parameters, gen.Client) is not aliased, nor is a name the client declares itself, nor a
// constant a client constant already re-exports under another name.
//
// go doc shows no fields for an alias, so each struct alias's doc carries gen's declaration, fields and
// their comments (the spec's descriptions) included.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/types"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/packages"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is main without the process: 0 ok, 1 the -check failed or the packages do not load, 2 usage.
func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("aliasgen", flag.ContinueOnError)
	fl.SetOutput(stderr)
	genDir := fl.String("gen", "", "the directory of package gen")
	clientDir := fl.String("client", "", "the directory of package client")
	out := fl.String("o", "", "the output file, in the client's directory; - for stdout")
	check := fl.Bool("check", false, "do not write: fail when the output file differs from what would be written")
	if fl.Parse(args) != nil || *genDir == "" || *clientDir == "" || *out == "" {
		fmt.Fprintln(stderr, "usage: aliasgen -gen DIR -client DIR -o FILE [-check]")
		return 2
	}
	outPath := filepath.Join(*clientDir, "models.gen.go")
	if *out != "-" {
		outPath = *out
	}
	src, err := aliases(*genDir, *clientDir, outPath)
	if err != nil {
		fmt.Fprintf(stderr, "aliasgen: %v\n", err)
		return 1
	}
	switch {
	case *out == "-":
		_, _ = stdout.Write(src)
	case *check:
		old, err := os.ReadFile(*out)
		if err != nil {
			fmt.Fprintf(stderr, "FAIL %s: %v (run go generate ./...)\n", *out, err)
			return 1
		}
		if !bytes.Equal(old, src) {
			fmt.Fprintf(stderr, "FAIL %s is stale: it is not what aliasgen writes from gen and the client's code; run go generate ./... and commit (%s)\n",
				*out, lineDiff(old, src))
			return 1
		}
		fmt.Fprintf(stdout, "ok   %s is up to date\n", *out)
	default:
		if err := os.WriteFile(*out, src, 0o644); err != nil {
			fmt.Fprintf(stderr, "aliasgen: %v\n", err)
			return 1
		}
	}
	return 0
}

// aliases loads both packages, the client's without outPath, and returns the output file's source. It
// loads them again with the output so far until no new name is found: go/types does not report every
// undefined name of an expression that already has one (a map literal whose key type is undefined).
func aliases(genDir, clientDir, outPath string) ([]byte, error) {
	absClient, err1 := filepath.Abs(clientDir)
	absGen, err2 := filepath.Abs(genDir)
	absOut, err3 := filepath.Abs(outPath)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	roots := map[string]bool{} // gen names found so far
	src := []byte("package client\n")
	for {
		cfg := &packages.Config{
			Mode:    packages.NeedName | packages.NeedTypes | packages.NeedSyntax | packages.NeedTypesInfo | packages.NeedImports | packages.NeedFiles,
			Dir:     absClient,
			Overlay: map[string][]byte{absOut: src},
		}
		pkgs, err := packages.Load(cfg, absClient, absGen)
		if err != nil {
			return nil, err
		}
		if len(pkgs) != 2 || len(pkgs[0].GoFiles) == 0 || len(pkgs[1].GoFiles) == 0 {
			return nil, fmt.Errorf("loading %s and %s: got %d packages", clientDir, genDir, len(pkgs))
		}
		client, gen := pkgs[0], pkgs[1]
		if filepath.Dir(gen.GoFiles[0]) != absGen {
			client, gen = gen, client
		}
		if len(gen.Errors) > 0 {
			return nil, fmt.Errorf("package gen: %v", gen.Errors[0])
		}
		for _, e := range client.Errors {
			if name, ok := strings.CutPrefix(e.Msg, "undefined: "); ok && e.Kind == packages.TypeError {
				roots[name] = true
			}
		}
		a := &aliaser{gen: gen.Types, client: client.Types, seen: map[*types.TypeName]bool{},
			handWritten: func(obj types.Object) bool { return client.Fset.Position(obj.Pos()).Filename != absOut }}
		for name := range roots {
			if obj := gen.Types.Scope().Lookup(name); obj != nil {
				a.visit(obj.Type()) // a type, or a constant's type
			}
		}
		generated := map[string]bool{} // the client's files with a "Code generated … DO NOT EDIT." line
		for _, f := range client.Syntax {
			generated[client.Fset.Position(f.Pos()).Filename] = ast.IsGenerated(f)
		}
		for _, name := range client.Types.Scope().Names() {
			if obj := client.Types.Scope().Lookup(name); obj.Exported() && !generated[client.Fset.Position(obj.Pos()).Filename] {
				a.visit(obj.Type())
			}
		}
		grew := false
		for _, obj := range a.reached {
			grew = grew || !roots[obj.Name()]
			roots[obj.Name()] = true
		}
		next, err := a.write(declarations(gen.Syntax), gen.Fset)
		if err != nil || !grew {
			return next, err
		}
		src = next
	}
}

// aliaser collects the gen types to alias.
type aliaser struct {
	gen, client *types.Package
	seen        map[*types.TypeName]bool // gen types reached, and the client's exported types walked
	reached     []*types.TypeName        // gen types reached, in order
	handWritten func(types.Object) bool  // whether the client declares obj itself, not the output file
}

// visit follows t through gen's types and the client's exported types.
func (a *aliaser) visit(t types.Type) {
	switch t := t.(type) {
	case *types.Alias:
		a.visit(types.Unalias(t))
	case *types.Named:
		obj := t.Obj()
		if a.seen[obj] || !obj.Exported() || t.TypeParams().Len() > 0 || (obj.Pkg() != a.gen && obj.Pkg() != a.client) {
			return
		}
		a.seen[obj] = true
		if obj.Pkg() == a.gen {
			a.reached = append(a.reached, obj)
		}
		a.visit(t.Underlying())
		if obj.Pkg() == a.client {
			for m := range t.Methods() {
				if m.Exported() {
					a.visit(m.Type())
				}
			}
		}
	case *types.Struct:
		for f := range t.Fields() {
			if f.Exported() || f.Embedded() {
				a.visit(f.Type())
			}
		}
	case *types.Interface:
		for m := range t.Methods() {
			if m.Exported() {
				a.visit(m.Type())
			}
		}
	case *types.Signature:
		for v := range t.Params().Variables() {
			a.visit(v.Type())
		}
		for v := range t.Results().Variables() {
			a.visit(v.Type())
		}
	case *types.Pointer:
		a.visit(t.Elem())
	case *types.Slice:
		a.visit(t.Elem())
	case *types.Array:
		a.visit(t.Elem())
	case *types.Chan:
		a.visit(t.Elem())
	case *types.Map:
		a.visit(t.Key())
		a.visit(t.Elem())
	}
}
