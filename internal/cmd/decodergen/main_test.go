package main

import (
	"go/token"
	"go/types"
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
	pkg, err := loadGen()
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
	pkg, err := loadGen()
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
	pkg, err := loadGen()
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

// Booleans, integers and numbers, which no connection model has yet, get their decoders, named types
// included: a spec that gains such a property regenerates instead of failing.
func TestScalarKinds(t *testing.T) {
	g := &generator{}
	named := types.NewNamed(types.NewTypeName(token.NoPos, nil, "Level", nil), types.Typ[types.Int32], nil)
	for typ, want := range map[types.Type]kind{
		types.Typ[types.Bool]: kindBool, types.Typ[types.Int]: kindInt, types.Typ[types.Int64]: kindInt, named: kindInt,
		types.Typ[types.Float32]: kindFloat, types.Typ[types.Float64]: kindFloat, types.Typ[types.String]: kindString,
	} {
		if got, _, err := g.classify(typ, object{}, "#/x"); err != nil || got != want {
			t.Errorf("%s: kind %d, %v; want %d", typ, got, err, want)
		}
	}
	if _, _, err := g.classify(types.Typ[types.Uint8], object{}, "#/x"); err == nil || !strings.Contains(err.Error(), "unsupported field type uint8 (#/x)") {
		t.Errorf("uint8: %v", err)
	}
	for f, want := range map[field]string{
		{goName: "On", typ: "bool", kind: kindBool}:     "d.boolean(&v.On)",
		{goName: "On", typ: "gen.Flag", kind: kindBool}: "d.boolean((*bool)(&v.On))",
		{goName: "N", typ: "int", kind: kindInt}:        "integer(d, &v.N)",
		{goName: "X", typ: "float32", kind: kindFloat}:  "number(d, &v.X)",
	} {
		if got := decodeCall(f); got != want {
			t.Errorf("decodeCall(%+v) = %s, want %s", f, got, want)
		}
	}
}
