package doccheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"
)

// kind is how a block is compiled.
type kind int

const (
	program kind = iota // starts with a package clause: checked as is
	decls               // a file body: top-level declarations, with the harness's imports and variables
	stmts               // statements: the body of a function, with the harness's imports and variables
)

func (k kind) String() string { return [...]string{"program", "declarations", "statements"}[k] }

// unit is a block made ready to type-check: its files' sources (named so that //line directives map the
// block's code back to the Markdown file) and the import paths they need.
type unit struct {
	block   Block
	kind    kind
	parsed  *ast.File // the block as parsed for its kind (the harness wraps it again)
	imports []string
}

// The names of the generated files; relative //line file names resolve against their directory (".").
const (
	codeFile = "doccheck_block.go"
	varsFile = "doccheck_vars.go"
)

func lineDirective(b Block) string { return fmt.Sprintf("//line %s:%d:1\n", b.File, b.Line+1) }

// classify parses b as a program, else as a file body, else as statements. When none parses, the error is
// that of the attempt that got further.
func classify(fset *token.FileSet, b Block) (*unit, error) {
	if startsWithPackage(b.Code) {
		f, err := parser.ParseFile(fset, codeFile, lineDirective(b)+b.Code, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		return &unit{block: b, kind: program, parsed: f, imports: importPaths(f)}, nil
	}
	f, errDecls := parser.ParseFile(fset, codeFile, "package main\n"+lineDirective(b)+b.Code, parser.ParseComments|parser.SkipObjectResolution)
	if errDecls == nil {
		return &unit{block: b, kind: decls, parsed: f, imports: importPaths(f)}, nil
	}
	f, errStmts := parser.ParseFile(fset, codeFile, "package main\nfunc _() {\n"+lineDirective(b)+b.Code+"\n}\n", parser.ParseComments|parser.SkipObjectResolution)
	if errStmts == nil {
		return &unit{block: b, kind: stmts, parsed: f}, nil
	}
	if errorLine(errDecls) > errorLine(errStmts) {
		return nil, errDecls
	}
	return nil, errStmts
}

func errorLine(err error) int {
	if list, ok := err.(scanner.ErrorList); ok && len(list) > 0 {
		return list[0].Pos.Line
	}
	return 0
}

func startsWithPackage(code string) bool {
	var s scanner.Scanner
	fset := token.NewFileSet()
	src := []byte(code)
	s.Init(fset.AddFile("", -1, len(src)), src, nil, 0)
	_, tok, _ := s.Scan()
	return tok == token.PACKAGE
}

func importPaths(f *ast.File) []string {
	var paths []string
	for _, spec := range f.Imports {
		if p, err := strconv.Unquote(spec.Path.Value); err == nil {
			paths = append(paths, p)
		}
	}
	return paths
}

// sources returns the files of u's package: the block's file, and for a fragment the harness's variables.
// names maps each harness import path to its package name.
func (h *Harness) sources(u *unit, names map[string]string) (code, vars string) {
	b := u.block
	if u.kind == program {
		return lineDirective(b) + b.Code, ""
	}
	// What the fragment names itself: its imports and top-level declarations.
	own := map[string]bool{}
	ownPaths := map[string]bool{}
	for _, spec := range u.parsed.Imports {
		p, _ := strconv.Unquote(spec.Path.Value)
		ownPaths[p] = true
		if spec.Name != nil {
			own[spec.Name.Name] = true
		} else if n, ok := names[p]; ok {
			own[n] = true
		} else {
			own[p[strings.LastIndex(p, "/")+1:]] = true
		}
	}
	if u.kind == decls {
		for _, d := range u.parsed.Decls {
			for _, n := range declared(d) {
				own[n] = true
			}
		}
	}
	// The harness's imports that the fragment uses (as pkg.X) and does not provide itself.
	used := selectorRoots(u.parsed)
	var imports []string
	for _, p := range h.Imports {
		if n := names[p]; used[n] && !own[n] && !ownPaths[p] {
			imports = append(imports, p)
			own[n] = true
		}
	}
	var sb strings.Builder
	sb.WriteString("package main\n\n")
	writeImports(&sb, imports)
	if u.kind == decls {
		sb.WriteString(lineDirective(b) + b.Code)
	} else {
		result, end := "", ""
		if returnsValue(u.parsed) {
			result, end = " error", "return nil\n"
		}
		sb.WriteString("func _()" + result + " {\n" + lineDirective(b) + b.Code + "\n" + end + "}\n")
	}

	// The harness's variables, except those whose names the fragment's file declares.
	var vb strings.Builder
	var varImports []string
	var specs []string
	for _, v := range h.Vars {
		if own[v.Name] {
			continue
		}
		specs = append(specs, "\t"+v.Name+" "+v.Type+"\n")
		if expr, err := parser.ParseExpr(v.Type); err == nil {
			uses := selectorRoots(expr)
			for _, p := range h.Imports {
				if uses[names[p]] && !slices.Contains(varImports, p) {
					varImports = append(varImports, p)
				}
			}
		}
	}
	vb.WriteString("package main\n\n")
	writeImports(&vb, varImports)
	if len(specs) > 0 {
		vb.WriteString("var (\n" + strings.Join(specs, "") + ")\n")
	}
	return sb.String(), vb.String()
}

func writeImports(sb *strings.Builder, paths []string) {
	if len(paths) == 0 {
		return
	}
	sb.WriteString("import (\n")
	for _, p := range paths {
		sb.WriteString("\t" + strconv.Quote(p) + "\n")
	}
	sb.WriteString(")\n\n")
}

// declared returns the names a top-level declaration declares (methods declare none at package level).
func declared(d ast.Decl) []string {
	var names []string
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Recv == nil {
			names = append(names, d.Name.Name)
		}
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				names = append(names, s.Name.Name)
			case *ast.ValueSpec:
				for _, n := range s.Names {
					names = append(names, n.Name)
				}
			}
		}
	}
	return names
}

// selectorRoots returns the identifiers x of the selector expressions x.Sel in n: the package names that a
// fragment may use (a local variable of the same name only keeps an import that is then unused).
func selectorRoots(n ast.Node) map[string]bool {
	roots := map[string]bool{}
	ast.Inspect(n, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				roots[id.Name] = true
			}
		}
		return true
	})
	return roots
}

// returnsValue reports whether a statement fragment (in f's function _) returns one value outside function
// literals, as in `if err != nil { return err }`: the harness's function then returns error.
func returnsValue(f *ast.File) bool {
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			if len(n.Results) == 1 {
				found = true
			}
		}
		return !found
	})
	return found
}

// check type-checks u and returns its problems, positioned in the Markdown file.
func (h *Harness) check(fset *token.FileSet, imp types.Importer, u *unit, names map[string]string) []Problem {
	code, vars := h.sources(u, names)
	mode := parser.ParseComments | parser.SkipObjectResolution
	files := make([]*ast.File, 0, 2)
	f, err := parser.ParseFile(fset, codeFile, code, mode)
	if err != nil {
		return parseProblems(u.block, err)
	}
	files = append(files, f)
	if vars != "" {
		vf, err := parser.ParseFile(fset, varsFile, vars, mode)
		if err != nil {
			return []Problem{{Block: u.block, Pos: blockPos(u.block), Msg: "doccheck harness: " + err.Error()}}
		}
		files = append(files, vf)
	}
	var problems []Problem
	conf := types.Config{
		Importer: imp,
		Error: func(err error) {
			te, ok := err.(types.Error)
			if !ok {
				problems = append(problems, Problem{Block: u.block, Pos: blockPos(u.block), Msg: err.Error()})
				return
			}
			// A fragment may declare a variable only to show what a call returns.
			if u.kind != program && te.Soft && strings.Contains(te.Msg, "declared and not used") {
				return
			}
			pos := fset.Position(te.Pos)
			if raw := fset.PositionFor(te.Pos, false); raw.Filename == varsFile || pos.Filename == codeFile {
				problems = append(problems, Problem{Block: u.block, Pos: blockPos(u.block), Msg: "doccheck harness: " + te.Msg})
				return
			}
			problems = append(problems, Problem{Block: u.block, Pos: pos, Msg: te.Msg})
		},
	}
	_, _ = conf.Check("main", fset, files, nil)
	return problems
}

func blockPos(b Block) token.Position { return token.Position{Filename: b.File, Line: b.Line} }

func parseProblems(b Block, err error) []Problem {
	list, ok := err.(scanner.ErrorList)
	if !ok || len(list) == 0 {
		return []Problem{{Block: b, Pos: blockPos(b), Msg: err.Error()}}
	}
	// The first error only: the parser's later ones mostly follow from it.
	return []Problem{{Block: b, Pos: list[0].Pos, Msg: list[0].Msg}}
}
