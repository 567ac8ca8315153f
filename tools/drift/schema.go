package drift

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// flat is a schema with its references resolved and its allOf members merged: what a value must look like,
// independent of how the document is laid out.
type flat struct {
	types                 []string
	format                string
	enum                  []string // JSON encodings, sorted
	nullable              bool
	deflt                 string // JSON encoding, "" when absent
	required              []string
	properties            map[string]*openapi3.SchemaRef
	items                 *openapi3.SchemaRef
	additional            *openapi3.SchemaRef // additionalProperties schema
	additionalAllowed     string              // "unspecified", "true" or "false"
	oneOf, anyOf          openapi3.SchemaRefs
	minimum, maximum      string
	exclusiveMin, exclMax bool
}

func flatten(ref *openapi3.SchemaRef) flat {
	f := flat{properties: map[string]*openapi3.SchemaRef{}, additionalAllowed: "unspecified"}
	if ref == nil || ref.Value == nil {
		return f
	}
	merge(&f, ref.Value)
	sort.Strings(f.required)
	f.required = dedupe(f.required)
	sort.Strings(f.types)
	f.types = dedupe(f.types)
	return f
}

func merge(f *flat, s *openapi3.Schema) {
	for _, sub := range s.AllOf {
		if sub != nil && sub.Value != nil {
			merge(f, sub.Value)
		}
	}
	if s.Type != nil {
		f.types = append(f.types, s.Type.Slice()...)
	}
	if s.Format != "" {
		f.format = s.Format
	}
	if len(s.Enum) > 0 {
		f.enum = f.enum[:0]
		for _, v := range s.Enum {
			b, _ := json.Marshal(v)
			f.enum = append(f.enum, string(b))
		}
		sort.Strings(f.enum)
	}
	f.nullable = f.nullable || s.Nullable
	if s.Default != nil {
		b, _ := json.Marshal(s.Default)
		f.deflt = string(b)
	}
	f.required = append(f.required, s.Required...)
	for name, p := range s.Properties {
		f.properties[name] = p
	}
	if s.Items != nil {
		f.items = s.Items
	}
	if s.AdditionalProperties.Schema != nil {
		f.additional = s.AdditionalProperties.Schema
	}
	if s.AdditionalProperties.Has != nil {
		if *s.AdditionalProperties.Has {
			f.additionalAllowed = "true"
		} else {
			f.additionalAllowed = "false"
		}
	}
	f.oneOf = append(f.oneOf, s.OneOf...)
	f.anyOf = append(f.anyOf, s.AnyOf...)
	if s.Min != nil {
		f.minimum = jsonNum(*s.Min)
	}
	if s.Max != nil {
		f.maximum = jsonNum(*s.Max)
	}
	f.exclusiveMin = f.exclusiveMin || s.ExclusiveMin.IsTrue()
	f.exclMax = f.exclMax || s.ExclusiveMax.IsTrue()
}

func jsonNum(v float64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// compareSchema compares two schemas by meaning, recursing into properties, items, additionalProperties and
// oneOf/anyOf members. where names the place; nested places append a path like `.group.createTime`,
// `.scopes[]` or `.providerMetadata{}`. seen stops the recursion on cycles.
func (c *comparer) compareSchema(where string, ours, upstream *openapi3.SchemaRef, seen map[[2]*openapi3.Schema]bool) {
	if ours == nil || upstream == nil || ours.Value == nil || upstream.Value == nil {
		if (ours == nil || ours.Value == nil) != (upstream == nil || upstream.Value == nil) {
			c.add(where, "", "schema present on one side only (ours %v, upstream %v)", ours != nil && ours.Value != nil, upstream != nil && upstream.Value != nil)
		}
		return
	}
	key := [2]*openapi3.Schema{ours.Value, upstream.Value}
	if seen[key] {
		return
	}
	seen[key] = true

	a, b := flatten(ours), flatten(upstream)
	c.same(where, "type", a.types, b.types)
	c.same(where, "format", a.format, b.format)
	c.same(where, "enum", a.enum, b.enum)
	c.same(where, "nullable", a.nullable, b.nullable)
	c.same(where, "default", a.deflt, b.deflt)
	c.same(where, "minimum", a.minimum, b.minimum)
	c.same(where, "maximum", a.maximum, b.maximum)
	c.same(where, "exclusiveMinimum", a.exclusiveMin, b.exclusiveMin)
	c.same(where, "exclusiveMaximum", a.exclMax, b.exclMax)
	c.compareRequired(where, a.required, b.required)
	c.same(where, "additionalProperties", a.additionalAllowed, b.additionalAllowed)

	for _, name := range union(a.properties, b.properties) {
		pa, pb := a.properties[name], b.properties[name]
		switch {
		case pa == nil:
			c.add(where, "property "+name, "missing here (upstream has it)")
		case pb == nil:
			c.add(where, "property "+name, "not upstream")
		default:
			c.compareSchema(child(where, "."+name), pa, pb, seen)
		}
	}
	if a.items != nil || b.items != nil {
		c.compareSchema(child(where, "[]"), a.items, b.items, seen)
	}
	if a.additional != nil || b.additional != nil {
		c.compareSchema(child(where, "{}"), a.additional, b.additional, seen)
	}
	for kw, pair := range map[string][2]openapi3.SchemaRefs{"oneOf": {a.oneOf, b.oneOf}, "anyOf": {a.anyOf, b.anyOf}} {
		c.same(where, kw+" members", len(pair[0]), len(pair[1]))
		for i := 0; i < len(pair[0]) && i < len(pair[1]); i++ {
			c.compareSchema(child(where, "|"+kw+"["+itoa(i)+"]"), pair[0][i], pair[1][i], seen)
		}
	}
}

func (c *comparer) compareRequired(where string, ours, upstream []string) {
	in := func(list []string, v string) bool {
		i := sort.SearchStrings(list, v)
		return i < len(list) && list[i] == v
	}
	for _, r := range ours {
		if !in(upstream, r) {
			c.add(where, "required "+r, "required here, optional upstream")
		}
	}
	for _, r := range upstream {
		if !in(ours, r) {
			c.add(where, "required "+r, "required upstream, optional here")
		}
	}
}

// child appends a nested path to a place: "op response 200 application/json" + ".group" gives
// "op response 200 application/json .group"; further levels append directly (".group.createTime").
func child(where, step string) string {
	if i := strings.LastIndexByte(where, ' '); i >= 0 && isPath(where[i+1:]) {
		return where + step
	}
	return where + " " + step
}

func isPath(s string) bool {
	return strings.HasPrefix(s, ".") || strings.HasPrefix(s, "[]") || strings.HasPrefix(s, "{}") || strings.HasPrefix(s, "|")
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
