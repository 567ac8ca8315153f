// Package drift compares our OpenAPI document with Ampersand's published one, operation by operation and
// transitively through the schemas, and reports every difference that our document does not declare
// deliberate.
//
// Each document is read into facts: a location, in the notation the report prints
// (`getConnection parameter query:refresh schema enum`), and its value. Schemas are read by meaning, not by
// layout: references are resolved and allOf members are merged, so renaming a component, naming an inline
// schema, or moving properties into an allOf member is not a difference, while a renamed property, a dropped
// required entry, a changed type, format or enum is. A difference is a location whose value differs, or that
// one document has and the other lacks.
//
// Deliberate differences are listed once, at the top of our document:
//
//	x-upstream-drift:
//	  - at: "generateConnection requestBody.required"
//	    why: "…"
//
// where `at` is exactly the location the report prints. An entry that matches no difference is reported as
// stale, so the list cannot silently outlive the drift it excuses.
package drift

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// AllowlistExtension is the top-level extension of our document that lists deliberate differences.
const AllowlistExtension = "x-upstream-drift"

// Difference is one way our document differs from upstream: At names the place and the attribute, What
// says how the two sides differ.
type Difference struct{ At, What string }

func (d Difference) String() string { return d.At + ": " + d.What }

// Allowance is an entry of the x-upstream-drift list.
type Allowance struct {
	At  string `json:"at"`
	Why string `json:"why"`
}

// Report is the outcome of Check.
type Report struct {
	Unexpected []Difference // differences not declared deliberate: the check fails
	Allowed    []Difference // differences declared deliberate
	Stale      []Allowance  // allowances that match no difference: the check fails
	Invalid    []string     // malformed allowlist entries: the check fails
}

// OK reports whether the documents agree apart from deliberate differences.
func (r Report) OK() bool { return len(r.Unexpected) == 0 && len(r.Stale) == 0 && len(r.Invalid) == 0 }

// Lines renders the report, one line per finding; the details (allowed) are lower case.
func (r Report) Lines() []string {
	var out []string
	for _, d := range r.Unexpected {
		out = append(out, "DRIFT    "+d.String())
	}
	for _, a := range r.Stale {
		out = append(out, fmt.Sprintf("STALE    %s: listed in %s but no such difference exists; remove the entry", a.At, AllowlistExtension))
	}
	for _, s := range r.Invalid {
		out = append(out, "INVALID  "+s)
	}
	for _, d := range r.Allowed {
		out = append(out, "allowed  "+d.String())
	}
	return out
}

// Check compares every operation of ours with the upstream operation of the same operationId and applies
// ours' allowlist.
func Check(ours, upstream *openapi3.T) Report {
	var r Report
	var allow []Allowance
	r.Invalid = extension(ours, AllowlistExtension, "{at, why}", &allow)
	allowed := map[string]Allowance{}
	for i, a := range allow {
		switch {
		case strings.TrimSpace(a.At) == "":
			r.Invalid = append(r.Invalid, fmt.Sprintf("%s[%d]: `at` is empty", AllowlistExtension, i))
		case strings.TrimSpace(a.Why) == "":
			r.Invalid = append(r.Invalid, fmt.Sprintf("%s[%d] (%s): `why` is empty: say why the difference is deliberate", AllowlistExtension, i, a.At))
		case allowed[a.At] != Allowance{}:
			r.Invalid = append(r.Invalid, fmt.Sprintf("%s[%d]: %q is listed twice", AllowlistExtension, i, a.At))
		default:
			allowed[a.At] = a
		}
	}
	for _, d := range Compare(ours, upstream) {
		if _, ok := allowed[d.At]; ok {
			delete(allowed, d.At)
			r.Allowed = append(r.Allowed, d)
		} else {
			r.Unexpected = append(r.Unexpected, d)
		}
	}
	for _, at := range slices.Sorted(maps.Keys(allowed)) {
		r.Stale = append(r.Stale, allowed[at])
	}
	return r
}

// extension decodes the top-level extension name of doc, a list of shape, into v; a malformed one is a problem.
func extension(doc *openapi3.T, name, shape string, v any) []string {
	raw, ok := doc.Extensions[name]
	if !ok {
		return nil
	}
	buf, err := json.Marshal(raw)
	if err == nil {
		err = json.Unmarshal(buf, v)
	}
	if err != nil {
		return []string{fmt.Sprintf("%s must be a list of %s: %v", name, shape, err)}
	}
	return nil
}

// Compare lists every difference between the operations of ours and the upstream operations with the same
// operationIds (and the document-wide security), sorted by location.
func Compare(ours, upstream *openapi3.T) []Difference {
	ourOps, upOps := operations(ours), operations(upstream)
	out := diff(operationFacts(ours, upOps), operationFacts(upstream, ourOps))
	for id := range ourOps {
		if _, ok := upOps[id]; !ok {
			out = append(out, Difference{id + " operation", "exists here but not upstream"})
		}
	}
	slices.SortFunc(out, func(a, b Difference) int { return strings.Compare(a.At, b.At) })
	return out
}

// CompareSchemas compares the component schemas of the given names, by meaning.
func CompareSchemas(ours, upstream *openapi3.T, names ...string) []Difference {
	a, b := newFacts(), newFacts()
	for _, name := range names {
		a.schema(name, ours.Components.Schemas[name])
		b.schema(name, upstream.Components.Schemas[name])
	}
	return diff(a, b)
}

// facts are the locations of a document and their values. A location in exists has a subtree of locations
// under the prefix it maps to: when only one side has it, the subtree is not reported again.
type facts struct {
	vals   map[string]string
	exists map[string]string
	path   map[*openapi3.Schema]bool // the schemas being read, to stop at a cycle
}

func newFacts() *facts {
	return &facts{vals: map[string]string{}, exists: map[string]string{}, path: map[*openapi3.Schema]bool{}}
}

// set records a location; with a subtree prefix, it is an existence whose subtree is under that prefix.
func (f *facts) set(at, value string, subtree ...string) {
	f.vals[at] = value
	for _, s := range subtree {
		f.exists[at] = s
	}
}

type operation struct {
	path, method string
	op           *openapi3.Operation
	item         *openapi3.PathItem
}

func operations(doc *openapi3.T) map[string]operation {
	out := map[string]operation{}
	if doc.Paths != nil {
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				if op.OperationID != "" {
					out[op.OperationID] = operation{path, method, op, item}
				}
			}
		}
	}
	return out
}

// operationFacts reads the security of doc and those of its operations that the other document has too.
func operationFacts(doc *openapi3.T, other map[string]operation) *facts {
	f := newFacts()
	f.set("security", security(doc, nil))
	for id, o := range operations(doc) {
		if _, ok := other[id]; !ok {
			continue
		}
		f.set(id+" path", fmt.Sprintf("%q", o.path))
		f.set(id+" method", fmt.Sprintf("%q", o.method))
		f.set(id+" security", "the document's")
		if o.op.Security != nil {
			f.set(id+" security", security(doc, o.op))
		}
		for _, list := range []openapi3.Parameters{o.item.Parameters, o.op.Parameters} { // the operation's override
			for _, p := range list {
				if p != nil && p.Value != nil {
					at := id + " parameter " + p.Value.In + ":" + p.Value.Name
					f.set(at, "", at)
					f.set(at+" required", fmt.Sprint(p.Value.Required))
					f.schema(at+" schema", p.Value.Schema)
				}
			}
		}
		if b := o.op.RequestBody; b != nil && b.Value != nil {
			f.set(id+" requestBody", "", id+" requestBody ")
			f.set(id+" requestBody.required", fmt.Sprint(b.Value.Required))
			f.content(id+" requestBody", b.Value.Content)
		}
		if o.op.Responses != nil {
			for code, r := range o.op.Responses.Map() {
				if r != nil && r.Value != nil {
					f.set(id+" response "+code, "", id+" response "+code)
					f.content(id+" response "+code, r.Value.Content)
				}
			}
		}
	}
	return f
}

func (f *facts) content(where string, content openapi3.Content) {
	for mt, m := range content {
		if m != nil {
			f.set(where+" "+mt, "media type", where+" "+mt)
			f.schema(where+" "+mt, m.Schema)
		}
	}
}

// security renders the security requirements that apply to op (the document's when op is nil) as sorted
// alternatives, each naming its schemes by what they are, not by the component name: "apiKey header X-Api-Key".
func security(doc *openapi3.T, op *openapi3.Operation) string {
	reqs := doc.Security
	if op != nil {
		reqs = *op.Security
	}
	var alts []string
	for _, req := range reqs {
		var schemes []string
		for _, name := range slices.Sorted(maps.Keys(req)) {
			s := "undefined scheme " + name
			if doc.Components != nil && doc.Components.SecuritySchemes[name] != nil && doc.Components.SecuritySchemes[name].Value != nil {
				v := doc.Components.SecuritySchemes[name].Value
				s = v.Type
				switch v.Type {
				case "apiKey":
					s = fmt.Sprintf("apiKey %s %s", v.In, v.Name)
				case "http":
					s = strings.TrimSpace("http " + v.Scheme + " " + v.BearerFormat)
				}
			}
			schemes = append(schemes, s)
		}
		alts = append(alts, strings.Join(schemes, " + "))
	}
	slices.Sort(alts)
	return "[" + strings.Join(alts, " | ") + "]"
}

// diff compares two sets of facts. A location only one side has is reported unless it is in the subtree of
// another location only that side has; a oneOf or anyOf member is not reported (the count of members is).
func diff(ours, upstream *facts) []Difference {
	all := maps.Clone(ours.vals)
	maps.Copy(all, upstream.vals)
	gone := map[string]string{} // existence location -> its subtree, for those only one side has
	for k := range all {
		_, inOurs := ours.vals[k]
		_, inUp := upstream.vals[k]
		if side := map[bool]*facts{true: ours, false: upstream}[inOurs]; inOurs != inUp && side.exists[k] != "" {
			gone[k] = side.exists[k]
		}
	}
	var out []Difference
	for _, k := range slices.Sorted(maps.Keys(all)) {
		a, inOurs := ours.vals[k]
		b, inUp := upstream.vals[k]
		switch {
		case inOurs && inUp && a != b:
			out = append(out, Difference{k, fmt.Sprintf("ours %s, upstream %s", a, b)})
		case inOurs && inUp, a == "member" || b == "member":
		case !slices.ContainsFunc(slices.Collect(maps.Keys(gone)), func(e string) bool { return e != k && within(k, gone[e]) }):
			out = append(out, Difference{k, oneSided(a+b, inOurs)})
		}
	}
	return out
}

// within reports whether location k is under prefix: equal, or continued by a separator.
func within(k, prefix string) bool {
	rest, ok := strings.CutPrefix(k, strings.TrimSuffix(prefix, " "))
	return ok && (rest == "" || strings.ContainsRune(" .[{|", rune(rest[0])))
}

// oneSided says what a location that only one side has means.
func oneSided(value string, inOurs bool) string {
	switch {
	case value == "required" && inOurs:
		return "required here, optional upstream"
	case value == "required":
		return "required upstream, optional here"
	case value == "media type" && inOurs:
		return "media type not upstream"
	case value == "media type":
		return "media type missing here (upstream has it)"
	case inOurs:
		return "not upstream"
	}
	return "missing here (upstream has it)"
}

// schema reads a schema by meaning, at where: its references resolved and its allOf members merged, then its
// properties (`.name`), items (`[]`), additionalProperties (`{}`) and oneOf/anyOf members (`|oneOf[0]`).
func (f *facts) schema(where string, ref *openapi3.SchemaRef) {
	if ref == nil || ref.Value == nil || f.path[ref.Value] {
		return
	}
	f.path[ref.Value] = true
	defer delete(f.path, ref.Value)
	var m merged
	m.add(ref.Value)
	slices.Sort(m.types)
	slices.Sort(m.required)
	for attr, v := range map[string]any{"type": slices.Compact(m.types), "format": m.format, "enum": m.enum, "nullable": m.nullable,
		"default": m.deflt, "minimum": m.min, "maximum": m.max, "exclusiveMinimum": m.exclMin, "exclusiveMaximum": m.exclMax,
		"additionalProperties": m.additional, "oneOf members": len(m.oneOf), "anyOf members": len(m.anyOf)} {
		f.set(where+" "+attr, show(v))
	}
	for _, r := range m.required {
		f.set(where+" required "+r, "required")
	}
	for name, p := range m.properties {
		f.set(where+" property "+name, "", child(where, "."+name))
		f.schema(child(where, "."+name), p)
	}
	f.schema(child(where, "[]"), m.items)
	f.schema(child(where, "{}"), m.additionalSchema)
	for kw, list := range map[string]openapi3.SchemaRefs{"oneOf": m.oneOf, "anyOf": m.anyOf} {
		for i, sub := range list {
			at := child(where, fmt.Sprintf("|%s[%d]", kw, i))
			f.set(at, "member", at)
			f.schema(at, sub)
		}
	}
}

// merged is a schema with its allOf members merged in.
type merged struct {
	types, required, enum      []string
	format, deflt, min, max    string
	additional                 string // "unspecified", "true" or "false"
	nullable, exclMin, exclMax bool
	properties                 map[string]*openapi3.SchemaRef
	items, additionalSchema    *openapi3.SchemaRef
	oneOf, anyOf               openapi3.SchemaRefs
}

func (m *merged) add(s *openapi3.Schema) {
	if m.properties == nil {
		m.properties, m.additional = map[string]*openapi3.SchemaRef{}, "unspecified"
	}
	for _, sub := range s.AllOf {
		if sub != nil && sub.Value != nil {
			m.add(sub.Value)
		}
	}
	if s.Type != nil {
		m.types = append(m.types, s.Type.Slice()...)
	}
	m.format = cmp.Or(s.Format, m.format)
	if len(s.Enum) > 0 {
		m.enum = nil
		for _, v := range s.Enum {
			m.enum = append(m.enum, jsonString(v))
		}
		slices.Sort(m.enum)
	}
	if s.Default != nil {
		m.deflt = jsonString(s.Default)
	}
	if s.Min != nil {
		m.min = jsonString(*s.Min)
	}
	if s.Max != nil {
		m.max = jsonString(*s.Max)
	}
	if s.AdditionalProperties.Has != nil {
		m.additional = fmt.Sprint(*s.AdditionalProperties.Has)
	}
	m.nullable = m.nullable || s.Nullable
	m.exclMin = m.exclMin || s.ExclusiveMin.IsTrue()
	m.exclMax = m.exclMax || s.ExclusiveMax.IsTrue()
	m.required = append(m.required, s.Required...)
	maps.Copy(m.properties, s.Properties)
	m.items = cmp.Or(s.Items, m.items)
	m.additionalSchema = cmp.Or(s.AdditionalProperties.Schema, m.additionalSchema)
	m.oneOf = append(m.oneOf, s.OneOf...)
	m.anyOf = append(m.anyOf, s.AnyOf...)
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// show renders a value as the report prints it: strings quoted ("(none)" when empty), lists in brackets.
func show(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return "(none)"
		}
		return fmt.Sprintf("%q", v)
	case []string:
		return "[" + strings.Join(v, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// child appends a nested path to a place: "op response 200 application/json" + ".group" gives
// "op response 200 application/json .group"; further levels append directly (".group.createTime").
func child(where, step string) string {
	if i := strings.LastIndexByte(where, ' '); i >= 0 && strings.ContainsRune(".[{|", rune(where[i+1])) {
		return where + step
	}
	return where + " " + step
}
