package drift

import (
	"encoding/json"
	"fmt"
	"sort"
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
// An upstream operation concerns connections when it meets any of three rules (see Rule). An entry that
// names no upstream connection operation, or one that our document has, is reported as stale.

// OutOfScopeExtension is the top-level extension of our document that lists the upstream connection
// operations deliberately left out, each with why.
const OutOfScopeExtension = "x-upstream-out-of-scope"

// ConnectionSchema is the upstream component whose use makes an operation a connection operation, and
// ConnectionTag and ConnectionsPath are the tag and the path fragment that do.
const (
	ConnectionSchema = "Connection"
	ConnectionTag    = "Connection"
	ConnectionsPath  = "/connections"
)

// Rule names one of the reasons an upstream operation concerns connections.
type Rule string

// The three rules. An operation meets RuleSchema when its request body or any response refers to the
// Connection schema, transitively through $refs, allOf/oneOf/anyOf members, array items, properties and
// additionalProperties.
const (
	RuleTag    Rule = "tag"    // tagged Connection
	RulePath   Rule = "path"   // its path contains /connections
	RuleSchema Rule = "schema" // its request body or a response uses the Connection schema
)

// Match is one rule that an upstream operation meets. For RuleSchema, At is the place that is the
// Connection schema, in the drift report's notation: `response 200 application/json [].connection`.
type Match struct {
	Rule Rule
	At   string
}

func (m Match) String() string {
	switch m.Rule {
	case RuleTag:
		return "tagged " + ConnectionTag
	case RulePath:
		return "path has " + ConnectionsPath
	default:
		return "schema " + ConnectionSchema + " at " + m.At
	}
}

// ConnectionOperation is an upstream operation that concerns connections, with every rule it meets.
type ConnectionOperation struct {
	ID, Method, Path string // ID is "" when the operation has no operationId
	Matches          []Match
}

// String renders the operation as the report prints it:
// `getConnection GET /projects/{projectIdOrName}/connections/{connectionId} [tagged Connection, …]`.
func (o ConnectionOperation) String() string {
	id := o.ID
	if id == "" {
		id = "(no operationId)"
	}
	rules := make([]string, len(o.Matches))
	for i, m := range o.Matches {
		rules[i] = m.String()
	}
	return fmt.Sprintf("%s %s %s [%s]", id, o.Method, o.Path, strings.Join(rules, ", "))
}

// Exclusion is an entry of the x-upstream-out-of-scope list.
type Exclusion struct {
	Operation string `json:"operation"`
	Why       string `json:"why"`
}

// Excluded is an upstream connection operation that an Exclusion leaves out, with its reason.
type Excluded struct {
	ConnectionOperation
	Why string
}

// StaleExclusion is an Exclusion that leaves nothing out; Reason says why not.
type StaleExclusion struct {
	Exclusion
	Reason string
}

// CoverageReport is the outcome of Coverage.
type CoverageReport struct {
	Covered    []ConnectionOperation // upstream connection operations our document has
	OutOfScope []Excluded            // those listed in x-upstream-out-of-scope
	Missing    []ConnectionOperation // neither: the check fails
	Stale      []StaleExclusion      // entries that leave nothing out: the check fails
	Invalid    []string              // malformed entries, or an upstream document the schema rule cannot apply to: the check fails
	Beyond     []string              // our operationIds that the rules do not find upstream (for information)
}

// OK reports whether every upstream connection operation is accounted for and the list is sound.
func (r CoverageReport) OK() bool {
	return len(r.Missing) == 0 && len(r.Stale) == 0 && len(r.Invalid) == 0
}

// Total is the number of upstream connection operations.
func (r CoverageReport) Total() int { return len(r.Covered) + len(r.OutOfScope) + len(r.Missing) }

// Lines renders the report, one line per finding: failures (upper case) first, then the covered and
// excluded operations (lower case).
func (r CoverageReport) Lines() []string {
	var out []string
	for _, o := range r.Missing {
		out = append(out, fmt.Sprintf("MISSING  %s: an upstream connection operation neither in our document nor in %s; add it, or list it there with why", o, OutOfScopeExtension))
	}
	for _, s := range r.Stale {
		out = append(out, fmt.Sprintf("STALE    %s: listed in %s but %s; remove the entry", s.Operation, OutOfScopeExtension, s.Reason))
	}
	for _, s := range r.Invalid {
		out = append(out, "INVALID  "+s)
	}
	for _, o := range r.Covered {
		out = append(out, "covered  "+o.String())
	}
	for _, o := range r.OutOfScope {
		out = append(out, fmt.Sprintf("excluded %s: %s", o.ConnectionOperation, strings.Join(strings.Fields(o.Why), " ")))
	}
	return out
}

// Coverage classifies every upstream connection operation as covered by ours, out of scope by ours'
// x-upstream-out-of-scope list, or missing, and reports the list's stale and malformed entries.
func Coverage(ours, upstream *openapi3.T) CoverageReport {
	excl, invalid := OutOfScope(ours)
	r := CoverageReport{Invalid: invalid}
	connOps := ConnectionOperations(upstream)
	if (upstream.Components == nil || upstream.Components.Schemas[ConnectionSchema] == nil) && len(connOps) > 0 {
		// A document with connection operations but no Connection schema has renamed it: the schema rule
		// would silently find nothing. (A document without any, like a test fixture, is not Ampersand's.)
		r.Invalid = append(r.Invalid, fmt.Sprintf("the upstream document has connection operations but no components.schemas.%s: the schema rule cannot apply (update internal/drift)", ConnectionSchema))
	}
	ourOps, upOps := operations(ours), operations(upstream)
	conn := map[string]bool{}
	for _, o := range connOps {
		conn[o.ID] = true
		_, have := ourOps[o.ID]
		e, listed := excl[o.ID]
		switch {
		case o.ID != "" && have:
			r.Covered = append(r.Covered, o)
		case o.ID != "" && listed:
			r.OutOfScope = append(r.OutOfScope, Excluded{ConnectionOperation: o, Why: e.Why})
		default:
			r.Missing = append(r.Missing, o)
		}
	}
	for _, id := range sortedKeys(excl) {
		e := excl[id]
		u, upstreamHas := upOps[id]
		switch _, have := ourOps[id]; {
		case have:
			r.Stale = append(r.Stale, StaleExclusion{e, "our document has it"})
		case !upstreamHas:
			r.Stale = append(r.Stale, StaleExclusion{e, "upstream has no such operation"})
		case !conn[id]:
			r.Stale = append(r.Stale, StaleExclusion{e, fmt.Sprintf("upstream's %s %s meets none of the rules (tagged %s, path has %s, uses schema %s)",
				u.method, u.path, ConnectionTag, ConnectionsPath, ConnectionSchema)})
		}
	}
	for _, id := range sortedKeys(ourOps) {
		if !conn[id] {
			r.Beyond = append(r.Beyond, id)
		}
	}
	return r
}

// OutOfScope reads the x-upstream-out-of-scope extension of doc, keyed by operationId. Entries without
// `operation` or `why`, and duplicates, are returned as problems.
func OutOfScope(doc *openapi3.T) (map[string]Exclusion, []string) {
	out := map[string]Exclusion{}
	raw, ok := doc.Extensions[OutOfScopeExtension]
	if !ok {
		return out, nil
	}
	buf, err := json.Marshal(raw)
	if err != nil {
		return out, []string{fmt.Sprintf("%s: %v", OutOfScopeExtension, err)}
	}
	var list []Exclusion
	if err := json.Unmarshal(buf, &list); err != nil {
		return out, []string{fmt.Sprintf("%s must be a list of {operation, why}: %v", OutOfScopeExtension, err)}
	}
	var problems []string
	for i, e := range list {
		e.Operation = strings.TrimSpace(e.Operation)
		switch {
		case e.Operation == "":
			problems = append(problems, fmt.Sprintf("%s[%d]: `operation` is empty", OutOfScopeExtension, i))
		case strings.TrimSpace(e.Why) == "":
			problems = append(problems, fmt.Sprintf("%s[%d] (%s): `why` is empty: say why the operation is out of scope", OutOfScopeExtension, i, e.Operation))
		default:
			if _, dup := out[e.Operation]; dup {
				problems = append(problems, fmt.Sprintf("%s[%d]: %q is listed twice", OutOfScopeExtension, i, e.Operation))
			}
			out[e.Operation] = e
		}
	}
	return out, problems
}

// ConnectionOperations lists the operations of doc that concern connections, sorted by operationId, then
// path and method; see Rule.
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
			for _, tag := range op.Tags {
				if tag == ConnectionTag {
					o.Matches = append(o.Matches, Match{Rule: RuleTag})
					break
				}
			}
			if strings.Contains(path, ConnectionsPath) {
				o.Matches = append(o.Matches, Match{Rule: RulePath})
			}
			for _, at := range schemaUses(op, target) {
				o.Matches = append(o.Matches, Match{Rule: RuleSchema, At: at})
			}
			if len(o.Matches) > 0 {
				out = append(out, o)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
	return out
}

// schemaUses returns, for the request body and each response of op, per media type, the first place whose
// schema is the Connection schema (target, or a $ref to it by name).
func schemaUses(op *openapi3.Operation, target *openapi3.Schema) []string {
	var out []string
	find := func(where string, content openapi3.Content) {
		for _, mt := range sortedKeys(content) {
			if content[mt] == nil {
				continue
			}
			f := finder{target: target, seen: map[*openapi3.Schema]bool{}}
			if at, ok := f.find(where+" "+mt, content[mt].Schema); ok {
				out = append(out, at)
			}
		}
	}
	if b := body(op); b != nil {
		find("requestBody", b.Content)
	}
	rs := responses(op)
	for _, code := range sortedKeys(rs) {
		find("response "+code, rs[code].Content)
	}
	return out
}

// finder searches a schema graph for the Connection schema, depth first in a stable order.
type finder struct {
	target *openapi3.Schema
	seen   map[*openapi3.Schema]bool // visited: a schema that did not lead to the target once never will
}

func (f *finder) find(where string, ref *openapi3.SchemaRef) (string, bool) {
	if ref == nil {
		return "", false
	}
	if strings.HasSuffix(ref.Ref, "#/components/schemas/"+ConnectionSchema) || (ref.Value != nil && ref.Value == f.target) {
		return where, true
	}
	s := ref.Value
	if s == nil || f.seen[s] {
		return "", false
	}
	f.seen[s] = true
	for _, sub := range s.AllOf { // merged into the object, as the drift report treats them: no step of its own
		if at, ok := f.find(where, sub); ok {
			return at, true
		}
	}
	for _, kw := range []struct {
		name string
		list openapi3.SchemaRefs
	}{{"oneOf", s.OneOf}, {"anyOf", s.AnyOf}} {
		for i, sub := range kw.list {
			if at, ok := f.find(child(where, "|"+kw.name+"["+itoa(i)+"]"), sub); ok {
				return at, true
			}
		}
	}
	if at, ok := f.find(child(where, "[]"), s.Items); ok {
		return at, true
	}
	for _, name := range sortedKeys(s.Properties) {
		if at, ok := f.find(child(where, "."+name), s.Properties[name]); ok {
			return at, true
		}
	}
	return f.find(child(where, "{}"), s.AdditionalProperties.Schema)
}
