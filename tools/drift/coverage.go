package drift

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The coverage check: every upstream operation that concerns connections must be in our document (by
// operationId) or listed as deliberately out of scope, once, at the top of our document:
//
//	x-upstream-out-of-scope:
//	  - operation: getInstallation
//	    why: "…"
//
// An upstream operation concerns connections when it is tagged ConnectionTag, its path contains
// ConnectionsPath, or its request body or a response uses the ConnectionSchema component (transitively
// through $refs, allOf/oneOf/anyOf members, items, properties and additionalProperties). An entry that names
// no upstream connection operation, or one that our document has, is reported as stale.

// OutOfScopeExtension is the top-level extension of our document that lists the upstream connection
// operations deliberately left out, each with why.
const OutOfScopeExtension = "x-upstream-out-of-scope"

// The three rules that make an upstream operation a connection operation.
const (
	ConnectionSchema = "Connection"
	ConnectionTag    = "Connection"
	ConnectionsPath  = "/connections"
)

// ConnectionOperation is an upstream operation that concerns connections, with every rule it meets
// ("tagged Connection", "path has /connections", "schema Connection at response 200 application/json []").
type ConnectionOperation struct {
	ID, Method, Path string // ID is "" when the operation has no operationId
	Matches          []string
}

// String renders the operation as the report prints it.
func (o ConnectionOperation) String() string {
	return fmt.Sprintf("%s %s %s [%s]", cmp.Or(o.ID, "(no operationId)"), o.Method, o.Path, strings.Join(o.Matches, ", "))
}

// CoverageReport is the outcome of Coverage.
type CoverageReport struct {
	Covered    []ConnectionOperation // upstream connection operations our document has
	OutOfScope []string              // those listed in x-upstream-out-of-scope, with why, as printed
	Missing    []ConnectionOperation // neither: the check fails
	Stale      []string              // entries that leave nothing out, as printed: the check fails
	Invalid    []string              // malformed entries, or an upstream document the schema rule cannot apply to
	Beyond     []string              // our operationIds that the rules do not find upstream (for information)
}

// OK reports whether every upstream connection operation is accounted for and the list is sound.
func (r CoverageReport) OK() bool {
	return len(r.Missing) == 0 && len(r.Stale) == 0 && len(r.Invalid) == 0
}

// Total is the number of upstream connection operations.
func (r CoverageReport) Total() int { return len(r.Covered) + len(r.OutOfScope) + len(r.Missing) }

// Lines renders the report: failures (upper case) first, then the covered and excluded operations.
func (r CoverageReport) Lines() []string {
	var out []string
	for _, o := range r.Missing {
		out = append(out, fmt.Sprintf("MISSING  %s: an upstream connection operation neither in our document nor in %s; add it, or list it there with why", o, OutOfScopeExtension))
	}
	out = append(out, r.Stale...)
	for _, s := range r.Invalid {
		out = append(out, "INVALID  "+s)
	}
	for _, o := range r.Covered {
		out = append(out, "covered  "+o.String())
	}
	return append(out, r.OutOfScope...)
}

// Coverage classifies every upstream connection operation as covered by ours, out of scope by ours'
// x-upstream-out-of-scope list, or missing, and reports the list's stale and malformed entries.
func Coverage(ours, upstream *openapi3.T) CoverageReport {
	var r CoverageReport
	var list []struct{ Operation, Why string }
	r.Invalid = extension(ours, OutOfScopeExtension, "{operation, why}", &list)
	excl := map[string]string{} // operation -> why
	for i, e := range list {
		e.Operation = strings.TrimSpace(e.Operation)
		switch _, dup := excl[e.Operation]; {
		case e.Operation == "":
			r.Invalid = append(r.Invalid, fmt.Sprintf("%s[%d]: `operation` is empty", OutOfScopeExtension, i))
		case strings.TrimSpace(e.Why) == "":
			r.Invalid = append(r.Invalid, fmt.Sprintf("%s[%d] (%s): `why` is empty: say why the operation is out of scope", OutOfScopeExtension, i, e.Operation))
		case dup:
			r.Invalid = append(r.Invalid, fmt.Sprintf("%s[%d]: %q is listed twice", OutOfScopeExtension, i, e.Operation))
		default:
			excl[e.Operation] = e.Why
		}
	}
	connOps := ConnectionOperations(upstream)
	if (upstream.Components == nil || upstream.Components.Schemas[ConnectionSchema] == nil) && len(connOps) > 0 {
		// A document with connection operations but no Connection schema has renamed it: the schema rule
		// would silently find nothing. (A document without any, like a test fixture, is not Ampersand's.)
		r.Invalid = append(r.Invalid, fmt.Sprintf("the upstream document has connection operations but no components.schemas.%s: the schema rule cannot apply (update tools/drift)", ConnectionSchema))
	}
	ourOps, upOps := operations(ours), operations(upstream)
	conn := map[string]bool{}
	for _, o := range connOps {
		conn[o.ID] = true
		_, have := ourOps[o.ID]
		why, listed := excl[o.ID]
		switch {
		case o.ID != "" && have:
			r.Covered = append(r.Covered, o)
		case o.ID != "" && listed:
			r.OutOfScope = append(r.OutOfScope, fmt.Sprintf("excluded %s: %s", o, strings.Join(strings.Fields(why), " ")))
		default:
			r.Missing = append(r.Missing, o)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(excl)) {
		u, upstreamHas := upOps[id]
		reason := ""
		switch _, have := ourOps[id]; {
		case have:
			reason = "our document has it"
		case !upstreamHas:
			reason = "upstream has no such operation"
		case !conn[id]:
			reason = fmt.Sprintf("upstream's %s %s meets none of the rules (tagged %s, path has %s, uses schema %s)",
				u.method, u.path, ConnectionTag, ConnectionsPath, ConnectionSchema)
		default:
			continue
		}
		r.Stale = append(r.Stale, fmt.Sprintf("STALE    %s: listed in %s but %s; remove the entry", id, OutOfScopeExtension, reason))
	}
	for _, id := range slices.Sorted(maps.Keys(ourOps)) {
		if !conn[id] {
			r.Beyond = append(r.Beyond, id)
		}
	}
	return r
}

// ConnectionOperations lists the operations of doc that concern connections, sorted by operationId, then
// path and method.
func ConnectionOperations(doc *openapi3.T) []ConnectionOperation {
	var target *openapi3.Schema
	if doc.Components != nil && doc.Components.Schemas[ConnectionSchema] != nil {
		target = doc.Components.Schemas[ConnectionSchema].Value
	}
	var out []ConnectionOperation
	if doc.Paths == nil {
		return out
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := ConnectionOperation{ID: op.OperationID, Method: method, Path: path}
			if slices.Contains(op.Tags, ConnectionTag) {
				o.Matches = append(o.Matches, "tagged "+ConnectionTag)
			}
			if strings.Contains(path, ConnectionsPath) {
				o.Matches = append(o.Matches, "path has "+ConnectionsPath)
			}
			// For the request body and each response, per media type, the first place that is the schema.
			var places []string
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				places = contentUses(places, "requestBody", op.RequestBody.Value.Content, target)
			}
			if op.Responses != nil {
				rs := op.Responses.Map()
				for _, code := range slices.Sorted(maps.Keys(rs)) {
					if rs[code] != nil && rs[code].Value != nil {
						places = contentUses(places, "response "+code, rs[code].Value.Content, target)
					}
				}
			}
			for _, at := range places {
				o.Matches = append(o.Matches, "schema "+ConnectionSchema+" at "+at)
			}
			if len(o.Matches) > 0 {
				out = append(out, o)
			}
		}
	}
	slices.SortFunc(out, func(a, b ConnectionOperation) int {
		return strings.Compare(a.ID+"\x00"+a.Path+"\x00"+a.Method, b.ID+"\x00"+b.Path+"\x00"+b.Method)
	})
	return out
}

func contentUses(places []string, where string, content openapi3.Content, target *openapi3.Schema) []string {
	for _, mt := range slices.Sorted(maps.Keys(content)) {
		if content[mt] != nil {
			if at, ok := find(where+" "+mt, content[mt].Schema, target, map[*openapi3.Schema]bool{}); ok {
				places = append(places, at)
			}
		}
	}
	return places
}

// find searches a schema graph, depth first in a stable order, for the Connection schema (target, or a
// $ref to it by name), and returns where it is in the drift report's notation. seen holds the schemas
// visited: one that did not lead to the target once never will.
func find(where string, ref *openapi3.SchemaRef, target *openapi3.Schema, seen map[*openapi3.Schema]bool) (string, bool) {
	if ref == nil {
		return "", false
	}
	if strings.HasSuffix(ref.Ref, "#/components/schemas/"+ConnectionSchema) || (ref.Value != nil && ref.Value == target) {
		return where, true
	}
	s := ref.Value
	if s == nil || seen[s] {
		return "", false
	}
	seen[s] = true
	type step struct {
		at  string
		ref *openapi3.SchemaRef
	}
	var steps []step
	for _, sub := range s.AllOf { // merged into the object, as the drift report treats them: no step of its own
		steps = append(steps, step{where, sub})
	}
	for i, sub := range s.OneOf {
		steps = append(steps, step{child(where, fmt.Sprintf("|oneOf[%d]", i)), sub})
	}
	for i, sub := range s.AnyOf {
		steps = append(steps, step{child(where, fmt.Sprintf("|anyOf[%d]", i)), sub})
	}
	steps = append(steps, step{child(where, "[]"), s.Items})
	for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
		steps = append(steps, step{child(where, "."+name), s.Properties[name]})
	}
	steps = append(steps, step{child(where, "{}"), s.AdditionalProperties.Schema})
	for _, st := range steps {
		if at, ok := find(st.at, st.ref, target, seen); ok {
			return at, true
		}
	}
	return "", false
}
