package doccheck

import (
	"bufio"
	"fmt"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestGood(t *testing.T) {
	start := time.Now()
	res, err := Default.Check("testdata/good.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("%s", p)
	}
	var kinds []string
	for _, b := range res.Blocks {
		if b.Skip != "" {
			kinds = append(kinds, "skip")
			continue
		}
		u, err := classify(token.NewFileSet(), b)
		if err != nil {
			t.Fatalf("%s:%d: %v", b.File, b.Line, err)
		}
		kinds = append(kinds, u.kind.String())
	}
	if got, want := strings.Join(kinds, " "), "program statements statements statements declarations skip"; got != want {
		t.Errorf("blocks: %s\nwant    %s", got, want)
	}
	t.Logf("%d blocks in %v", len(res.Blocks), time.Since(start))
}

// lineOf returns the 1-based line of testdata/file that contains marker.
func lineOf(t *testing.T, file, marker string) int {
	t.Helper()
	f, err := os.Open("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), marker) {
			return n
		}
	}
	t.Fatalf("no %q in %s", marker, file)
	return 0
}

// columnOf returns the 1-based column, on the line with marker, of the expression the type checker blames.
func columnOf(t *testing.T, file, marker string) int {
	t.Helper()
	src, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Split(string(src), "\n")[lineOf(t, file, marker)-1]
	for _, expr := range []string{"gen.", "Refresh", "x :="} {
		if i := strings.Index(line, expr); i >= 0 {
			return i + 1
		}
	}
	t.Fatalf("no known expression on %q", line)
	return 0
}

func TestBroken(t *testing.T) {
	res, err := Default.Check("testdata/broken.md")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Problems {
		got = append(got, p.String())
	}
	want := []struct{ marker, msg string }{
		{"BROKEN-1", "undefined: gen"},
		{"BROKEN-2", "has no field or method Refresh"},
		{"BROKEN-3", "declared and not used: x"},
		{"BROKEN-4", "missing ','"},
	}
	if len(res.Problems) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(res.Problems), len(want), strings.Join(got, "\n"))
	}
	for i, w := range want {
		line := lineOf(t, "broken.md", w.marker)
		if w.marker == "BROKEN-4" {
			line++ // the parser notices the missing ')' at the end of the next line
		}
		prefix := fmt.Sprintf("testdata/broken.md:%d:", line)
		if w.marker != "BROKEN-4" {
			prefix = fmt.Sprintf("testdata/broken.md:%d:%d:", line, columnOf(t, "broken.md", w.marker))
		}
		if i >= len(got) || !strings.HasPrefix(got[i], prefix) || !strings.Contains(got[i], w.msg) {
			t.Errorf("problem %d: want %s… %s, got:\n%s", i, prefix, w.msg, strings.Join(got, "\n"))
		}
	}
	// The problem names its block by its fence line.
	if len(res.Problems) > 0 && !strings.HasSuffix(got[0], fmt.Sprintf("(in the go block of testdata/broken.md:%d)", lineOf(t, "broken.md", "BROKEN-1")-1)) {
		t.Errorf("problem does not name its block's fence line: %s", got[0])
	}
}

// recorder is a testing.TB that records what CheckFile reports.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper()             {}
func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.errors = append(r.errors, "FATAL "+fmt.Sprintf(format, args...))
}

func TestCheckFileReports(t *testing.T) {
	r := &recorder{TB: t}
	CheckFile(r, "testdata/broken.md")
	if len(r.errors) != 4 || !strings.Contains(r.errors[0], "undefined: gen") {
		t.Errorf("CheckFile(broken.md) reported %q", r.errors)
	}
	r = &recorder{TB: t}
	CheckFile(r, "testdata/good.md")
	if len(r.errors) != 0 {
		t.Errorf("CheckFile(good.md) reported %q", r.errors)
	}
}

func TestExtract(t *testing.T) {
	src := "# T\n\n  ```go\n  x := 1\n  ```\n\n~~~~text\n```go\nno\n```\n~~~~\n\n<!-- doccheck: skip shows a shape -->\n\n```Go title=x\ny\n```\n"
	blocks, err := Extract("m.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Block{{File: "m.md", Line: 3, Code: "x := 1\n"}, {File: "m.md", Line: 15, Code: "y\n", Skip: "shows a shape"}}
	if fmt.Sprint(blocks) != fmt.Sprint(want) {
		t.Errorf("Extract = %+v\nwant      %+v", blocks, want)
	}
	for _, bad := range []struct{ src, msg string }{
		{"<!-- doccheck: skip -->\n```go\nx\n```\n", "needs a reason"},
		{"<!-- doccheck: skip why -->\ntext\n```go\nx\n```\n", "not followed by a ```go block"},
		{"<!-- doccheck: skip why -->\n```sh\nx\n```\n", "not followed by a ```go block"},
		{"<!-- doccheck: ignore -->\n```go\nx\n```\n", "unknown doccheck directive"},
		{"```go\nx\n", "unclosed code fence"},
	} {
		if _, err := Extract("m.md", []byte(bad.src)); err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("Extract(%q) = %v, want an error with %q", bad.src, err, bad.msg)
		}
	}
}

func TestReturnsValue(t *testing.T) {
	h := Default
	h.Dir = "."
	res, err := h.Check(writeMD(t, "```go\nif err != nil {\n\treturn err\n}\n_ = func() int { return 1 }\n```\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("%s", p)
	}
}

func writeMD(t *testing.T, content string) string {
	t.Helper()
	path := t.TempDir() + "/x.md"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A harness package that does not resolve fails only the blocks that use it, naming the import.
func TestHarnessImportFailure(t *testing.T) {
	h := Default
	h.Imports = append(slices.Clone(h.Imports), "example.com/nope")
	res, err := h.Check("testdata/good.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 {
		t.Fatalf("good.md with an unresolvable harness import: %v", res.Problems)
	}
	h.Dir = "."
	res, err = h.Check(writeMD(t, "```go\nnope.Do()\n```\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].String(), `doccheck harness: could not import example.com/nope`) {
		t.Errorf("problems: %v", res.Problems)
	}
}
