// Package doccheck type-checks the ```go code blocks of Markdown files against the real module, so that the
// README and the other guides cannot show code that does not compile. A test calls
//
//	doccheck.CheckFile(t, "../../README.md")
//
// and fails with one error per problem, at the Markdown line of the offending code:
//
//	../../README.md:92:31: undefined: gen (in the go block of ../../README.md:85)
//
// # How a block is compiled
//
// Each block is its own package main, type-checked with go/types against the compiler's export data of
// the packages it imports (located by one `go list -export -deps` for the whole file, as
// golang.org/x/tools/go/packages does; a file of ~40 blocks takes well under a second once built).
//
//   - A block whose first token is `package` is a complete program, checked as is.
//   - Else, a block that parses as the body of a file (after "package main") is top-level declarations:
//     funcs, types, vars, consts, and optionally its own imports.
//   - Else, a block that parses as the body of a function is statements; they are placed in `func _()`,
//     which returns error when the block returns one value outside function literals (`return err`).
//
// A fragment (the last two) gets, from the [Harness]: the imports it uses as pkg.X among the harness's
// (client, amptest and common std packages; unused ones are pruned, those the fragment imports itself are
// left out), and package-level variables such as ctx, c, err, conn and req (see [Default]). Because they are
// package-level, statements inside func _ may redeclare them with := (`c, err := client.New()` declares
// new locals) or assign them with = (`err = c.Connections.Delete(…)`). Variables whose names a
// declarations block declares itself are left out. A fragment's "declared and not used" errors are ignored
// (a snippet may bind a result only to show it); a complete program gets every error. Blocks do not see
// each other's declarations.
//
// # Opting out
//
// A block is skipped, never silently, only with a marker on the last non-blank line before its fence:
//
//	<!-- doccheck: skip pseudo-code: the elided arguments are not Go -->
//	```go
//
// The reason is required; a marker without one, or not followed by a go block, fails the check.
package doccheck

import (
	"fmt"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/internal/exportdata"
)

// module is the import path of this repository's module.
const module = "github.com/ampersand-sdk/ampersand-go"

// Var is a package-level variable that the harness declares for fragments.
type Var struct {
	Name string
	Type string // a Go type expression using the harness's imports' package names, e.g. "*client.Client"
}

// Harness is what fragments get: imports (kept only when used) and variables.
type Harness struct {
	Imports []string
	Vars    []Var
	Dir     string // where `go list` resolves imports, in the module; "" is the Markdown file's directory
}

// Default is the harness of CheckFile: the module's public packages, common std packages, and the
// variables the guides use without declaring them.
var Default = Harness{
	Imports: []string{
		module + "/pkg/client", module + "/pkg/amptest",
		"bytes", "context", "encoding/json", "errors", "fmt", "io", "log", "log/slog", "net/http", "net/url",
		"net/http/httptest", "os", "os/signal", "strings", "sync", "testing", "time",
	},
	Vars: []Var{
		{"ctx", "context.Context"},
		{"c", "*client.Client"},
		{"err", "error"},
		{"conn", "*client.Connection"},
		{"conns", "[]client.Connection"},
		{"req", "client.GetConnectionRequest"},
		{"opts", "[]client.Option"},
		{"srv", "*amptest.Server"},
		{"logger", "*slog.Logger"},
		{"httpClient", "*http.Client"},
		{"t", "*testing.T"},
	},
}

// Problem is one error of a block, positioned in the Markdown file.
type Problem struct {
	Block Block
	Pos   token.Position // in the Markdown file; the block's fence line for problems of the harness
	Msg   string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: %s (in the go block of %s:%d)", p.Pos, p.Msg, p.Block.File, p.Block.Line)
}

// Result is the outcome of checking one Markdown file.
type Result struct {
	Blocks   []Block   // every go block, skipped ones included
	Problems []Problem // sorted by position
}

// CheckFile type-checks the go blocks of the Markdown file at path with the Default harness and reports
// each problem with t.Errorf (a file that cannot be read or whose markers are malformed: t.Fatalf).
func CheckFile(t testing.TB, path string) {
	t.Helper()
	Default.CheckFile(t, path)
}

// CheckFile is the package-level CheckFile with harness h.
func (h *Harness) CheckFile(t testing.TB, path string) {
	t.Helper()
	res, err := h.Check(path)
	if err != nil {
		t.Fatalf("doccheck: %v", err)
	}
	skipped := 0
	for _, b := range res.Blocks {
		if b.Skip != "" {
			skipped++
			t.Logf("%s:%d: go block skipped: %s", b.File, b.Line, b.Skip)
		}
	}
	for _, p := range res.Problems {
		t.Errorf("%s", p)
	}
	t.Logf("doccheck: %s: %d go blocks, %d skipped, %d problems", path, len(res.Blocks), skipped, len(res.Problems))
}

// Check type-checks the go blocks of the Markdown file at path with harness h.
func (h *Harness) Check(path string) (*Result, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blocks, err := Extract(path, src)
	if err != nil {
		return nil, err
	}
	res := &Result{Blocks: blocks}
	fset := token.NewFileSet()
	var units []*unit
	paths := slices.Clone(h.Imports)
	for _, b := range blocks {
		if b.Skip != "" {
			continue
		}
		u, err := classify(fset, b)
		if err != nil {
			res.Problems = append(res.Problems, parseProblems(b, err)...)
			continue
		}
		units = append(units, u)
		paths = append(paths, u.imports...)
	}
	if len(units) > 0 {
		slices.Sort(paths)
		dir := h.Dir
		if dir == "" {
			dir = filepath.Dir(path)
		}
		imp, err := exportdata.Importer(fset, dir, slices.Compact(paths))
		if err != nil {
			return nil, err
		}
		names := map[string]string{}
		for _, p := range h.Imports {
			names[p] = p[strings.LastIndex(p, "/")+1:]
			// A package that does not build keeps that guess; the blocks that use it report the import error.
			if pkg, err := imp.Import(p); err == nil {
				names[p] = pkg.Name()
			}
		}
		for _, u := range units {
			res.Problems = append(res.Problems, h.check(fset, imp, u, names)...)
		}
	}
	slices.SortStableFunc(res.Problems, func(a, b Problem) int {
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Column - b.Pos.Column
	})
	return res, nil
}
