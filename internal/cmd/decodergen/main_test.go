package main

import (
	"go/importer"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/internal/spec"
)

func load(t *testing.T) func(roots ...string) (string, error) {
	t.Helper()
	doc, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := importer.ForCompiler(token.NewFileSet(), "source", nil).Import(genPath)
	if err != nil {
		t.Fatal(err)
	}
	return func(roots ...string) (string, error) {
		src, err := generate(doc, pkg, roots)
		return string(src), err
	}
}

// The committed file is what the spec and gen generate (make verify checks the same).
func TestCommittedFileIsCurrent(t *testing.T) {
	gen := load(t)
	doc, err := os.ReadFile("../../../pkg/client/doc.go")
	if err != nil {
		t.Fatal(err)
	}
	const directive = "//go:generate go run ../../internal/cmd/decodergen -o decode.gen.go "
	i := strings.Index(string(doc), directive)
	if i < 0 {
		t.Fatal("pkg/client/doc.go has no decodergen directive")
	}
	roots := strings.Fields(strings.SplitN(string(doc[i+len(directive):]), "\n", 2)[0])
	got, err := gen(roots...)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../../pkg/client/decode.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Error("pkg/client/decode.gen.go is stale: run make generate")
	}
}

// Making a property required in the spec changes the generated check, with no code edit.
func TestRequiredComesFromTheSpec(t *testing.T) {
	doc, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := importer.ForCompiler(token.NewFileSet(), "source", nil).Import(genPath)
	if err != nil {
		t.Fatal(err)
	}
	before, err := generate(doc, pkg, []string{"Connection"})
	if err != nil {
		t.Fatal(err)
	}
	conn := doc.Components.Schemas["Connection"].Value
	conn.Required = append(slices.Clone(conn.Required), "providerWorkspaceRef")
	group := doc.Components.Schemas["Group"].Value
	group.Required = slices.DeleteFunc(slices.Clone(group.Required), func(s string) bool { return s == "groupName" })
	after, err := generate(doc, pkg, []string{"Connection"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(before), "1<<12 /* providerWorkspaceRef */") || !strings.Contains(string(after), "1<<12 /* providerWorkspaceRef */") {
		t.Error("a newly required providerWorkspaceRef is not in connectionRequired")
	}
	if !strings.Contains(string(before), "1<<1 /* groupName */") || strings.Contains(string(after), "1<<1 /* groupName */") {
		t.Error("a groupName no longer required is still in groupRequired")
	}
}

// A model field without a property in its schema, or an unknown root, fails generation with a clear error.
func TestGenerationErrors(t *testing.T) {
	doc, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := importer.ForCompiler(token.NewFileSet(), "source", nil).Import(genPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := generate(doc, pkg, []string{"NoSuchSchema"}); err == nil || !strings.Contains(err.Error(), "no schema") {
		t.Errorf("unknown root: %v", err)
	}
	delete(doc.Components.Schemas["Group"].Value.Properties, "groupRef")
	if _, err := generate(doc, pkg, []string{"Connection"}); err == nil || !strings.Contains(err.Error(), `no property "groupRef"`) {
		t.Errorf("a field without a property: %v", err)
	}
}

func TestLowerFirst(t *testing.T) {
	for in, want := range map[string]string{"Connection": "connection", "APIKey": "apiKey", "OAuth2Token": "oAuth2Token", "ID": "id"} {
		if got := lowerFirst(in); got != want {
			t.Errorf("lowerFirst(%q) = %q, want %q", in, got, want)
		}
	}
}
