// Package drift compares our OpenAPI document with Ampersand's published one, operation by operation and
// transitively through the schemas, and reports every difference that our document does not declare
// deliberate.
//
// Schemas are compared by meaning, not by layout: references are resolved and allOf members are merged, so
// renaming a component, naming an inline schema, or moving properties into an allOf member is not a
// difference, while a renamed property, a dropped required entry, a changed type, format or enum is.
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
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// AllowlistExtension is the top-level extension of our document that lists deliberate differences.
const AllowlistExtension = "x-upstream-drift"

// Difference is one way our document differs from upstream. At names the place and the attribute (for
// example `getConnection parameter query:refresh schema enum`); What says how the two sides differ.
type Difference struct {
	At   string
	What string
}

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

// Lines renders the report, one line per finding.
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
	allow, invalid := Allowlist(ours)
	var r Report
	r.Invalid = invalid
	used := map[string]bool{}
	for _, d := range Compare(ours, upstream) {
		if _, ok := allow[d.At]; ok {
			used[d.At] = true
			r.Allowed = append(r.Allowed, d)
			continue
		}
		r.Unexpected = append(r.Unexpected, d)
	}
	for _, at := range sortedKeys(allow) {
		if !used[at] {
			r.Stale = append(r.Stale, allow[at])
		}
	}
	return r
}

// Allowlist reads the x-upstream-drift extension of doc. Entries without `at` or `why`, and duplicates, are
// returned as problems.
func Allowlist(doc *openapi3.T) (map[string]Allowance, []string) {
	out := map[string]Allowance{}
	raw, ok := doc.Extensions[AllowlistExtension]
	if !ok {
		return out, nil
	}
	buf, err := json.Marshal(raw)
	if err != nil {
		return out, []string{fmt.Sprintf("%s: %v", AllowlistExtension, err)}
	}
	var list []Allowance
	if err := json.Unmarshal(buf, &list); err != nil {
		return out, []string{fmt.Sprintf("%s must be a list of {at, why}: %v", AllowlistExtension, err)}
	}
	var problems []string
	for i, a := range list {
		switch {
		case strings.TrimSpace(a.At) == "":
			problems = append(problems, fmt.Sprintf("%s[%d]: `at` is empty", AllowlistExtension, i))
		case strings.TrimSpace(a.Why) == "":
			problems = append(problems, fmt.Sprintf("%s[%d] (%s): `why` is empty: say why the difference is deliberate", AllowlistExtension, i, a.At))
		default:
			if _, dup := out[a.At]; dup {
				problems = append(problems, fmt.Sprintf("%s[%d]: %q is listed twice", AllowlistExtension, i, a.At))
			}
			out[a.At] = a
		}
	}
	return out, problems
}

// Compare lists every difference between the operations of ours and the upstream operations with the same
// operationIds, in a stable order.
func Compare(ours, upstream *openapi3.T) []Difference {
	c := &comparer{}
	c.compareSecurity("security", effectiveSecurity(ours, nil), effectiveSecurity(upstream, nil), ours, upstream)
	upOps := operations(upstream)
	for _, o := range sortedOps(operations(ours)) {
		u, ok := upOps[o.id]
		if !ok {
			c.add(o.id, "operation", "exists here but not upstream")
			continue
		}
		c.compareOperation(o, u, ours, upstream)
	}
	return c.diffs
}

type operation struct {
	id, path, method string
	op               *openapi3.Operation
	item             *openapi3.PathItem
}

func operations(doc *openapi3.T) map[string]operation {
	out := map[string]operation{}
	if doc.Paths == nil {
		return out
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID != "" {
				out[op.OperationID] = operation{id: op.OperationID, path: path, method: method, op: op, item: item}
			}
		}
	}
	return out
}

func sortedOps(m map[string]operation) []operation {
	out := make([]operation, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}

type comparer struct{ diffs []Difference }

func (c *comparer) add(where, attr, format string, args ...any) {
	at := where
	if attr != "" {
		at += " " + attr
	}
	c.diffs = append(c.diffs, Difference{At: at, What: fmt.Sprintf(format, args...)})
}

// same records a difference when a and b differ, printing both sides.
func (c *comparer) same(where, attr string, ours, upstream any) {
	if fmt.Sprint(ours) != fmt.Sprint(upstream) {
		c.add(where, attr, "ours %s, upstream %s", show(ours), show(upstream))
	}
}

func show(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return "(none)"
		}
		return fmt.Sprintf("%q", v)
	case []string:
		if len(v) == 0 {
			return "[]"
		}
		return "[" + strings.Join(v, ", ") + "]"
	}
	return fmt.Sprint(v)
}

func (c *comparer) compareOperation(o, u operation, ours, upstream *openapi3.T) {
	c.same(o.id, "path", o.path, u.path)
	c.same(o.id, "method", o.method, u.method)
	if o.op.Security != nil || u.op.Security != nil {
		c.compareSecurity(o.id+" security", effectiveSecurity(ours, o.op), effectiveSecurity(upstream, u.op), ours, upstream)
	}

	op, up := parameters(o), parameters(u)
	for _, key := range union(op, up) {
		where := o.id + " parameter " + key
		a, b := op[key], up[key]
		switch {
		case a == nil:
			c.add(where, "", "missing here (upstream has it)")
		case b == nil:
			c.add(where, "", "not upstream")
		default:
			c.same(where, "required", a.Required, b.Required)
			c.compareSchema(where+" schema", a.Schema, b.Schema, map[[2]*openapi3.Schema]bool{})
		}
	}

	ob, ub := body(o.op), body(u.op)
	switch {
	case ob == nil && ub != nil:
		c.add(o.id, "requestBody", "missing here (upstream has one)")
	case ob != nil && ub == nil:
		c.add(o.id, "requestBody", "not upstream")
	case ob != nil:
		c.same(o.id, "requestBody.required", ob.Required, ub.Required)
		c.compareContent(o.id+" requestBody", ob.Content, ub.Content)
	}

	or, ur := responses(o.op), responses(u.op)
	for _, code := range union(or, ur) {
		where := o.id + " response " + code
		a, b := or[code], ur[code]
		switch {
		case a == nil:
			c.add(where, "", "missing here (upstream has it)")
		case b == nil:
			c.add(where, "", "not upstream")
		default:
			c.compareContent(where, a.Content, b.Content)
		}
	}
}

func (c *comparer) compareContent(where string, ours, upstream openapi3.Content) {
	for _, mt := range union(ours, upstream) {
		a, b := ours[mt], upstream[mt]
		switch {
		case a == nil:
			c.add(where, mt, "media type missing here (upstream has it)")
		case b == nil:
			c.add(where, mt, "media type not upstream")
		default:
			c.compareSchema(where+" "+mt, a.Schema, b.Schema, map[[2]*openapi3.Schema]bool{})
		}
	}
}

func parameters(o operation) map[string]*openapi3.Parameter {
	out := map[string]*openapi3.Parameter{}
	for _, list := range []openapi3.Parameters{o.item.Parameters, o.op.Parameters} {
		for _, p := range list {
			if p != nil && p.Value != nil {
				out[p.Value.In+":"+p.Value.Name] = p.Value // operation-level parameters override path-level ones
			}
		}
	}
	return out
}

func body(op *openapi3.Operation) *openapi3.RequestBody {
	if op.RequestBody == nil {
		return nil
	}
	return op.RequestBody.Value
}

func responses(op *openapi3.Operation) map[string]*openapi3.Response {
	out := map[string]*openapi3.Response{}
	if op.Responses == nil {
		return out
	}
	for code, r := range op.Responses.Map() {
		if r != nil && r.Value != nil {
			out[code] = r.Value
		}
	}
	return out
}

// effectiveSecurity renders the security requirements that apply to op (the document's when op is nil or
// does not override them) as sorted alternatives, each naming its schemes by what they are, not by the
// component name: "apiKey header X-Api-Key".
func effectiveSecurity(doc *openapi3.T, op *openapi3.Operation) []string {
	reqs := doc.Security
	if op != nil && op.Security != nil {
		reqs = *op.Security
	}
	var alts []string
	for _, req := range reqs {
		var schemes []string
		for _, name := range sortedKeys(req) {
			schemes = append(schemes, describeScheme(doc, name))
		}
		alts = append(alts, strings.Join(schemes, " + "))
	}
	sort.Strings(alts)
	return alts
}

func describeScheme(doc *openapi3.T, name string) string {
	if doc.Components == nil || doc.Components.SecuritySchemes[name] == nil || doc.Components.SecuritySchemes[name].Value == nil {
		return "undefined scheme " + name
	}
	s := doc.Components.SecuritySchemes[name].Value
	switch s.Type {
	case "apiKey":
		return fmt.Sprintf("apiKey %s %s", s.In, s.Name)
	case "http":
		return strings.TrimSpace("http " + s.Scheme + " " + s.BearerFormat)
	default:
		return s.Type
	}
}

func (c *comparer) compareSecurity(where string, ours, upstream []string, _, _ *openapi3.T) {
	if strings.Join(ours, " | ") != strings.Join(upstream, " | ") {
		c.add(where, "", "ours [%s], upstream [%s]", strings.Join(ours, " | "), strings.Join(upstream, " | "))
	}
}

func union[V any](a, b map[string]V) []string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return sortedKeys(keys)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
