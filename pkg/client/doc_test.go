package client_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The package overview (doc.go) names every option and every operation, so that it cannot fall behind the
// code: each exported function returning Option, and each exported method of ConnectionsService and
// OAuthService (as Client.Connections.X and Client.OAuth.X read).
func TestOverviewNamesEveryOptionAndOperation(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	var overview string
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if name == "doc.go" {
			overview = f.Doc.Text()
		}
		files = append(files, f)
	}
	named := func(name string) bool { return regexp.MustCompile(`\b` + name + `\b`).MatchString(overview) }
	var missing []string
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || !fn.Name.IsExported() {
				continue
			}
			switch {
			case fn.Recv == nil && fn.Type.Results != nil && len(fn.Type.Results.List) == 1 &&
				types(fn.Type.Results.List[0].Type) == "Option":
				if !named(fn.Name.Name) {
					missing = append(missing, "option "+fn.Name.Name)
				}
			case fn.Recv != nil && (types(fn.Recv.List[0].Type) == "*ConnectionsService" || types(fn.Recv.List[0].Type) == "*OAuthService"):
				if !named(fn.Name.Name) {
					missing = append(missing, "operation "+types(fn.Recv.List[0].Type)+"."+fn.Name.Name)
				}
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("doc.go's package overview does not name: %s", strings.Join(missing, ", "))
	}
}

func types(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.StarExpr:
		return "*" + types(e.X)
	}
	return ""
}
