// Command decodergen writes pkg/client/decode.gen.go: a decoder for each model that a success body holds,
// generated from the Go models of package gen and the schemas of api/openapi.yaml. `go generate` runs it
// from pkg/client:
//
//	go run ../../internal/cmd/decodergen -o decode.gen.go Connection ...
//
// Each argument names a root: a component schema of the spec whose model of the same name is a success body
// (or Schema=GoType when the names differ). Every struct, map and slice reachable from a root gets a decoder.
// The properties a decoder requires are the schema's required properties (allOf members merged), so adding a
// required property to the spec and regenerating changes the check, with no hand-written list. The tool fails
// when a model's field has no property in its schema, or a field type it cannot decode.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"go/token"
	"go/types"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ampersand-sdk/ampersand-go/internal/exportdata"
	"github.com/ampersand-sdk/ampersand-go/internal/spec"
)

const genPath = "github.com/ampersand-sdk/ampersand-go/gen"

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "decodergen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("decodergen", flag.ContinueOnError)
	out := fl.String("o", "", "output file (default: standard output)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		return errors.New("name at least one root schema")
	}
	doc, err := spec.Load()
	if err != nil {
		return err
	}
	pkg, err := loadGen()
	if err != nil {
		return err
	}
	src, err := generate(doc, pkg, fl.Args())
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = stdout.Write(src)
		return err
	}
	return os.WriteFile(*out, src, 0o644)
}

// loadGen type-checks package gen against the compiler's export data of its dependencies (the source
// importer type-checked the standard library too: tens of seconds per load under the race detector).
func loadGen() (*types.Package, error) {
	imp, err := exportdata.Importer(token.NewFileSet(), ".", []string{genPath})
	if err != nil {
		return nil, fmt.Errorf("type-checking %s: %w", genPath, err)
	}
	pkg, err := imp.Import(genPath)
	if err != nil {
		return nil, fmt.Errorf("type-checking %s: %w", genPath, err)
	}
	return pkg, nil
}

// generate returns the formatted source of decode.gen.go for the roots ("Schema" or "Schema=GoType").
func generate(doc *openapi3.T, pkg *types.Package, roots []string) ([]byte, error) {
	g := &generator{pkg: pkg, done: map[*types.Named]*model{}}
	for _, root := range roots {
		schemaName, typeName, _ := strings.Cut(root, "=")
		if typeName == "" {
			typeName = schemaName
		}
		ref := doc.Components.Schemas[schemaName]
		if ref == nil {
			return nil, fmt.Errorf("root %q: no schema %q in the spec", root, schemaName)
		}
		named, err := g.lookup(typeName)
		if err != nil {
			return nil, fmt.Errorf("root %q: %w", root, err)
		}
		m, err := g.model(named, flatten(ref), "#/components/schemas/"+schemaName)
		if err != nil {
			return nil, err
		}
		if m.kind != kindStruct {
			return nil, fmt.Errorf("root %q: %s is not an object model", root, typeName)
		}
		g.roots = append(g.roots, m)
	}
	var b bytes.Buffer
	g.write(&b)
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting the output: %w\n%s", err, b.Bytes())
	}
	return src, nil
}

// object is a schema with its allOf members merged: its properties and required names.
type object struct {
	props    map[string]*openapi3.SchemaRef
	required map[string]bool
	items    *openapi3.SchemaRef // arrays
	values   *openapi3.SchemaRef // additionalProperties of maps
}

func flatten(ref *openapi3.SchemaRef) object {
	o := object{props: map[string]*openapi3.SchemaRef{}, required: map[string]bool{}}
	var merge func(s *openapi3.Schema)
	merge = func(s *openapi3.Schema) {
		for _, sub := range s.AllOf {
			if sub != nil && sub.Value != nil {
				merge(sub.Value)
			}
		}
		for name, p := range s.Properties {
			o.props[name] = p
		}
		for _, name := range s.Required {
			o.required[name] = true
		}
		if s.Items != nil {
			o.items = s.Items
		}
		if ap := s.AdditionalProperties.Schema; ap != nil {
			o.values = ap
		}
	}
	if ref != nil && ref.Value != nil {
		merge(ref.Value)
	}
	return o
}

// kind is how a Go type is decoded.
type kind int

const (
	kindString     kind = iota // string or a named string type (an enum)
	kindTime                   // time.Time
	kindStrings                // []string
	kindStringMap              // map[string]string
	kindStringsMap             // map[string][]string
	kindStruct                 // a struct model: a generated decoder
	kindStructMap              // map[string]<struct model>: a generated decoder
	kindBool                   // bool or a named bool type
	kindInt                    // int, int8 … int64 or a named one (schema type integer)
	kindFloat                  // float32, float64 or a named one (schema type number)
)

// model is a generated decoder for one named gen type.
type model struct {
	named  *types.Named
	kind   kind
	where  string  // the schema's location, for messages
	fields []field // kindStruct
	elem   *model  // kindStructMap: the value model
	req    []bool  // kindStruct: required per field, to compare when the type is reached again
}

// field is one member of a struct model.
type field struct {
	goName, json string
	kind         kind
	sub          *model // kindStruct, kindStructMap
	required     bool
	typ          string // the Go type, for conversions
}

type generator struct {
	pkg   *types.Package
	done  map[*types.Named]*model
	order []*model
	roots []*model
}

func (g *generator) lookup(name string) (*types.Named, error) {
	obj := g.pkg.Scope().Lookup(name)
	if obj == nil {
		return nil, fmt.Errorf("no type %s in %s", name, genPath)
	}
	named, ok := obj.Type().(*types.Named)
	if !ok {
		return nil, fmt.Errorf("%s is not a named type", name)
	}
	return named, nil
}

// model returns the decoder model of a named gen type with schema o, building it (and those it reaches).
func (g *generator) model(named *types.Named, o object, where string) (*model, error) {
	if m, ok := g.done[named]; ok {
		if m.kind == kindStruct {
			for i, f := range m.fields {
				if o.required[f.json] != m.req[i] {
					return nil, fmt.Errorf("%s is reached through schemas that disagree on whether %q is required (%s, %s)",
						named.Obj().Name(), f.json, m.where, where)
				}
			}
		}
		return m, nil
	}
	m := &model{named: named, where: where}
	g.done[named] = m
	switch u := named.Underlying().(type) {
	case *types.Struct:
		m.kind = kindStruct
		if err := g.structFields(m, u, o, where); err != nil {
			return nil, err
		}
	case *types.Map:
		elem, ok := u.Elem().(*types.Named)
		if !ok || !isString(u.Key()) || o.values == nil {
			return nil, fmt.Errorf("%s (%s): only maps of a named struct with additionalProperties are supported", named.Obj().Name(), where)
		}
		at := where + "/additionalProperties"
		if o.values.Ref != "" {
			at = o.values.Ref
		}
		sub, err := g.model(elem, flatten(o.values), at)
		if err != nil {
			return nil, err
		}
		if sub.kind != kindStruct {
			return nil, fmt.Errorf("%s (%s): map values must be struct models", named.Obj().Name(), where)
		}
		m.kind, m.elem = kindStructMap, sub
	default:
		return nil, fmt.Errorf("%s (%s): unsupported model type %s", named.Obj().Name(), where, u)
	}
	g.order = append(g.order, m)
	return m, nil
}

func (g *generator) structFields(m *model, st *types.Struct, o object, where string) error {
	if st.NumFields() > 64 {
		return fmt.Errorf("%s has more than 64 fields", m.named.Obj().Name())
	}
	names := map[string]bool{}
	for i := range st.NumFields() {
		v := st.Field(i)
		if !v.Exported() {
			continue
		}
		name, _, _ := strings.Cut(reflect.StructTag(st.Tag(i)).Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = v.Name()
		}
		for other := range names {
			if strings.EqualFold(other, name) {
				return fmt.Errorf("%s: JSON names %q and %q match case-insensitively", m.named.Obj().Name(), other, name)
			}
		}
		names[name] = true
		prop := o.props[name]
		if prop == nil {
			return fmt.Errorf("%s.%s: schema %s has no property %q", m.named.Obj().Name(), v.Name(), where, name)
		}
		f := field{goName: v.Name(), json: name, required: o.required[name], typ: types.TypeString(v.Type(), qualifier)}
		at := where + "/properties/" + name
		if prop.Ref != "" {
			at = prop.Ref
		}
		k, sub, err := g.classify(v.Type(), flatten(prop), at)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", m.named.Obj().Name(), v.Name(), err)
		}
		f.kind, f.sub = k, sub
		m.fields = append(m.fields, f)
		m.req = append(m.req, f.required)
	}
	return nil
}

// classify says how a field of type t with schema o is decoded.
func (g *generator) classify(t types.Type, o object, where string) (kind, *model, error) {
	if named, ok := t.(*types.Named); ok {
		if obj := named.Obj(); obj.Pkg() != nil && obj.Pkg().Path() == "time" && obj.Name() == "Time" {
			return kindTime, nil, nil
		}
		if obj := named.Obj(); obj.Pkg() == g.pkg {
			switch named.Underlying().(type) {
			case *types.Struct, *types.Map:
				m, err := g.model(named, o, where)
				if err != nil {
					return 0, nil, err
				}
				return m.kind, m, nil
			}
		}
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch u.Kind() {
		case types.String:
			return kindString, nil, nil
		case types.Bool:
			return kindBool, nil, nil
		case types.Int, types.Int8, types.Int16, types.Int32, types.Int64:
			return kindInt, nil, nil
		case types.Float32, types.Float64:
			return kindFloat, nil, nil
		}
	case *types.Slice:
		if isString(u.Elem()) && !isNamed(u.Elem()) {
			return kindStrings, nil, nil
		}
	case *types.Map:
		if isString(u.Key()) && isString(u.Elem()) && !isNamed(u.Elem()) {
			return kindStringMap, nil, nil
		}
		if s, ok := u.Elem().(*types.Slice); ok && isString(u.Key()) && isString(s.Elem()) && !isNamed(s.Elem()) {
			return kindStringsMap, nil, nil
		}
	}
	return 0, nil, fmt.Errorf("unsupported field type %s (%s)", t, where)
}

func isString(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Kind() == types.String
}

func isNamed(t types.Type) bool { _, ok := t.(*types.Named); return ok }

func qualifier(p *types.Package) string {
	if p.Path() == genPath {
		return "gen"
	}
	return p.Name()
}

// sortedModels returns the models in name order, for a stable output.
func (g *generator) sortedModels() []*model {
	ms := slices.Clone(g.order)
	slices.SortFunc(ms, func(a, b *model) int { return strings.Compare(a.named.Obj().Name(), b.named.Obj().Name()) })
	return ms
}
