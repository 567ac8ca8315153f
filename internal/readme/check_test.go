package readme_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every ```go block of the README and CONTRIBUTING.md is code that compiles: a verbatim excerpt (after
// removing its indentation) of a Go file of the repository, outside testdata. The excerpts live here
// (readme.go, readme_test.go, firstcall/main.go) or in otel/example_test.go; go vet and go test compile
// them. To change a snippet, change it here and copy it into the README.
func TestGoBlocksAreCompiledCode(t *testing.T) {
	sources := goFiles(t, "../..")
	for _, doc := range []string{"../../README.md", "../../CONTRIBUTING.md"} {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range goBlocks(string(text)) {
			if !excerptOfAny(b.code, sources) {
				t.Errorf("%s:%d: this go block is in no Go file of the repository; put it, verbatim, in a file of internal/readme that compiles:\n%s",
					doc, b.line, b.code)
			}
		}
	}
}

// A block that differs from the compiled code in one character is refused; one indented as in a
// function body is found; a block of another language or a ```go that is not a fence opener is not read.
func TestExcerptMatching(t *testing.T) {
	sources := []string{"package x\n\nfunc f() {\n\tif err != nil {\n\t\treturn err\n\t}\n\n\tx := 1\n}\n"}
	for code, want := range map[string]bool{
		"if err != nil {\n\treturn err\n}":           true,
		"if err != nil {\n\treturn err\n}\n\nx := 1": true,
		"if err != nil {\n\treturn nil\n}":           false,
		"x := 1\n}":                                  false, // the dedent must be the same for every line
		"package x":                                  true,
	} {
		if got := excerptOfAny(code, sources); got != want {
			t.Errorf("excerptOfAny(%q) = %v, want %v", code, got, want)
		}
	}
	md := "text ```go inline\n```sh\n```go\nnot go\n```\n\n```go\na := 1\n```\n"
	if got := goBlocks(md); len(got) != 1 || got[0].code != "a := 1" || got[0].line != 7 {
		t.Errorf("goBlocks = %+v, want the one go block at line 7", got)
	}
}

type block struct {
	line int // of the opening fence
	code string
}

// goBlocks returns the ```go fenced blocks of a Markdown text (fences at the start of a line, no nesting).
func goBlocks(md string) []block {
	var out []block
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		fence := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(fence, "```") {
			continue
		}
		start := i
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
		}
		if fence == "```go" {
			out = append(out, block{line: start + 1, code: strings.Join(lines[start+1:min(i, len(lines))], "\n")})
		}
	}
	return out
}

// excerptOfAny reports whether code, indented by some number of tabs (blank lines left empty), is a run of
// whole lines of one of sources.
func excerptOfAny(code string, sources []string) bool {
	lines := strings.Split(strings.TrimRight(code, "\n"), "\n")
	for tabs := 0; tabs <= 4; tabs++ {
		indented := make([]string, len(lines))
		for i, l := range lines {
			if strings.TrimSpace(l) != "" {
				indented[i] = strings.Repeat("\t", tabs) + strings.TrimRight(l, " \t")
			}
		}
		want := "\n" + strings.Join(indented, "\n") + "\n"
		for _, src := range sources {
			if strings.Contains("\n"+src, want) {
				return true
			}
		}
	}
	return false
}

// goFiles returns the contents of the .go files under root, testdata excluded.
func goFiles(t *testing.T, root string) []string {
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			b, err := os.ReadFile(path)
			out = append(out, string(b))
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
