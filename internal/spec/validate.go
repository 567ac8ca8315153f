package spec

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a document: where (a JSON pointer into the document, and the 1-based line of
// that element in the source, 0 when unknown) and what.
type Problem struct {
	Pointer string
	Line    int
	Message string

	reach map[string]bool // component schemas the failing element refers to, for deduplication
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Pointer, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.Pointer, p.Message)
}

// Problems is an error made of one or more Problem values, one per line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return "invalid OpenAPI document:\n" + strings.Join(lines, "\n")
}

// Validate checks doc as kin-openapi's T.Validate does, with example validation on, but element by element:
// it reports every invalid element rather than the first, each at the deepest JSON pointer that still fails
// on its own. src, when given, is the document's source, used to find each element's line.
func Validate(ctx context.Context, doc *openapi3.T, src []byte) []Problem {
	ctx = openapi3.WithValidationOptions(ctx, openapi3.EnableExamplesValidation())
	var out []Problem
	for _, n := range documentNodes(doc) {
		out = append(out, n.check(ctx)...)
	}
	out = deepest(dropEchoes(out))
	// Anything the element walk does not cover (operationId uniqueness, path parameter matching, …).
	if len(out) == 0 {
		if err := doc.Validate(ctx, openapi3.EnableExamplesValidation()); err != nil {
			out = append(out, Problem{Pointer: "", Message: err.Error()})
		}
	}
	if len(src) > 0 {
		var root yaml.Node
		if yaml.Unmarshal(src, &root) == nil {
			for i := range out {
				out[i].Line = lineOf(&root, out[i].Pointer)
			}
		}
	}
	return out
}

// node is an element of the document with its own validation and its children.
type node struct {
	pointer  string
	validate func(context.Context, ...openapi3.ValidationOption) error
	children []node
	schemas  []*openapi3.SchemaRef // the schemas this element's validation goes through
}

// check validates n and all its descendants, each on its own; Validate then keeps the most precise problems.
func (n node) check(ctx context.Context) []Problem {
	var out []Problem
	for _, c := range n.children {
		out = append(out, c.check(ctx)...)
	}
	if n.validate == nil {
		return out
	}
	if err := n.validate(ctx); err != nil {
		// kin-openapi appends dumps of the schema and the value; the first line says what is wrong.
		msg, _, _ := strings.Cut(err.Error(), "\n")
		var se *openapi3.SchemaError
		if errors.As(err, &se) && len(se.JSONPointer()) > 0 && !strings.Contains(msg, "Error at ") {
			msg = fmt.Sprintf("%s (at /%s in the value)", msg, strings.Join(se.JSONPointer(), "/"))
		}
		reach := map[string]bool{}
		for _, sr := range n.schemas {
			collectRefs(sr, reach)
		}
		out = append(out, Problem{Pointer: n.pointer, Message: msg, reach: reach})
	}
	return out
}

func documentNodes(doc *openapi3.T) []node {
	var nodes []node
	if doc.OpenAPI == "" || !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		nodes = append(nodes, node{pointer: "/openapi", validate: func(context.Context, ...openapi3.ValidationOption) error {
			return fmt.Errorf("must be an OpenAPI 3.0.x version, got %q", doc.OpenAPI)
		}})
	}
	nodes = append(nodes, node{pointer: "/info", validate: func(ctx context.Context, _ ...openapi3.ValidationOption) error {
		if doc.Info == nil {
			return errors.New("info is required")
		}
		return doc.Info.Validate(ctx)
	}})
	nodes = append(nodes, node{pointer: "/servers", validate: func(ctx context.Context, _ ...openapi3.ValidationOption) error { return doc.Servers.Validate(ctx) }})
	if doc.Security != nil {
		nodes = append(nodes, node{pointer: "/security", validate: func(ctx context.Context, _ ...openapi3.ValidationOption) error { return doc.Security.Validate(ctx) }})
	}
	if c := doc.Components; c != nil {
		for _, name := range sortedKeys(c.Schemas) {
			nodes = append(nodes, schemaNode("/components/schemas/"+esc(name), c.Schemas[name], map[*openapi3.Schema]bool{}))
		}
		for _, name := range sortedKeys(c.Parameters) {
			nodes = append(nodes, paramNode("/components/parameters/"+esc(name), c.Parameters[name]))
		}
		for _, name := range sortedKeys(c.RequestBodies) {
			nodes = append(nodes, requestBodyNode("/components/requestBodies/"+esc(name), c.RequestBodies[name]))
		}
		for _, name := range sortedKeys(c.Responses) {
			nodes = append(nodes, responseNode("/components/responses/"+esc(name), c.Responses[name]))
		}
		for _, name := range sortedKeys(c.SecuritySchemes) {
			ss := c.SecuritySchemes[name]
			nodes = append(nodes, node{pointer: "/components/securitySchemes/" + esc(name), validate: ss.Validate})
		}
	}
	if doc.Paths == nil || doc.Paths.Len() == 0 {
		nodes = append(nodes, node{pointer: "/paths", validate: func(context.Context, ...openapi3.ValidationOption) error { return errors.New("no paths") }})
		return nodes
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		base := "/paths/" + esc(path)
		pathNode := node{pointer: base, validate: item.Validate}
		for i, p := range item.Parameters {
			pathNode.children = append(pathNode.children, paramNode(base+"/parameters/"+strconv.Itoa(i), p))
		}
		ops := item.Operations()
		for _, method := range sortedKeys(ops) {
			op := ops[method]
			opBase := base + "/" + strings.ToLower(method)
			opNode := node{pointer: opBase, validate: op.Validate, schemas: operationSchemas(item, op)}
			pathNode.schemas = append(pathNode.schemas, opNode.schemas...)
			for i, p := range op.Parameters {
				opNode.children = append(opNode.children, paramNode(opBase+"/parameters/"+strconv.Itoa(i), p))
			}
			if op.RequestBody != nil {
				opNode.children = append(opNode.children, requestBodyNode(opBase+"/requestBody", op.RequestBody))
			}
			if op.Responses != nil {
				for _, code := range sortedKeys(op.Responses.Map()) {
					opNode.children = append(opNode.children, responseNode(opBase+"/responses/"+esc(code), op.Responses.Value(code)))
				}
			}
			pathNode.children = append(pathNode.children, opNode)
		}
		nodes = append(nodes, pathNode)
	}
	return nodes
}

// schemaNode covers a schema and, unless it is a reference (checked where it is defined), its subschemas.
func schemaNode(ptr string, ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) node {
	n := node{pointer: ptr}
	if ref == nil || ref.Value == nil {
		n.validate = func(context.Context, ...openapi3.ValidationOption) error { return errors.New("missing schema") }
		return n
	}
	if ref.Ref != "" || seen[ref.Value] {
		return n
	}
	seen[ref.Value] = true
	s := ref.Value
	n.validate = s.Validate
	n.schemas = []*openapi3.SchemaRef{ref}
	for _, name := range sortedKeys(s.Properties) {
		n.children = append(n.children, schemaNode(ptr+"/properties/"+esc(name), s.Properties[name], seen))
	}
	if s.Items != nil {
		n.children = append(n.children, schemaNode(ptr+"/items", s.Items, seen))
	}
	if s.AdditionalProperties.Schema != nil {
		n.children = append(n.children, schemaNode(ptr+"/additionalProperties", s.AdditionalProperties.Schema, seen))
	}
	for kw, list := range map[string]openapi3.SchemaRefs{"allOf": s.AllOf, "oneOf": s.OneOf, "anyOf": s.AnyOf} {
		for i, sub := range list {
			n.children = append(n.children, schemaNode(fmt.Sprintf("%s/%s/%d", ptr, kw, i), sub, seen))
		}
	}
	sort.Slice(n.children, func(i, j int) bool { return n.children[i].pointer < n.children[j].pointer })
	return n
}

func paramNode(ptr string, ref *openapi3.ParameterRef) node {
	if ref == nil || ref.Value == nil {
		return node{pointer: ptr, validate: func(context.Context, ...openapi3.ValidationOption) error { return errors.New("missing parameter") }}
	}
	if ref.Ref != "" {
		return node{pointer: ptr}
	}
	n := node{pointer: ptr, validate: ref.Value.Validate, schemas: []*openapi3.SchemaRef{ref.Value.Schema}}
	if ref.Value.Schema != nil {
		n.children = append(n.children, schemaNode(ptr+"/schema", ref.Value.Schema, map[*openapi3.Schema]bool{}))
	}
	return n
}

func requestBodyNode(ptr string, ref *openapi3.RequestBodyRef) node {
	if ref == nil || ref.Value == nil {
		return node{pointer: ptr, validate: func(context.Context, ...openapi3.ValidationOption) error { return errors.New("missing request body") }}
	}
	if ref.Ref != "" {
		return node{pointer: ptr}
	}
	return node{pointer: ptr, validate: ref.Value.Validate, children: contentNodes(ptr+"/content", ref.Value.Content),
		schemas: contentSchemas(ref.Value.Content)}
}

func responseNode(ptr string, ref *openapi3.ResponseRef) node {
	if ref == nil || ref.Value == nil {
		return node{pointer: ptr, validate: func(context.Context, ...openapi3.ValidationOption) error { return errors.New("missing response") }}
	}
	if ref.Ref != "" {
		return node{pointer: ptr}
	}
	return node{pointer: ptr, validate: ref.Value.Validate, children: contentNodes(ptr+"/content", ref.Value.Content),
		schemas: contentSchemas(ref.Value.Content)}
}

// operationSchemas lists the schemas an operation's validation goes through.
func operationSchemas(item *openapi3.PathItem, op *openapi3.Operation) []*openapi3.SchemaRef {
	var out []*openapi3.SchemaRef
	for _, list := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, p := range list {
			if p != nil && p.Value != nil {
				out = append(out, p.Value.Schema)
			}
		}
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		out = append(out, contentSchemas(op.RequestBody.Value.Content)...)
	}
	if op.Responses != nil {
		for _, r := range op.Responses.Map() {
			if r != nil && r.Value != nil {
				out = append(out, contentSchemas(r.Value.Content)...)
			}
		}
	}
	return out
}

func contentSchemas(content openapi3.Content) []*openapi3.SchemaRef {
	var out []*openapi3.SchemaRef
	for _, mt := range content {
		out = append(out, mt.Schema)
	}
	return out
}

func contentNodes(ptr string, content openapi3.Content) []node {
	var out []node
	for _, mt := range sortedKeys(content) {
		media := content[mt]
		mptr := ptr + "/" + esc(mt)
		// Not media.Validate: it re-validates referenced schemas, which are checked (and reported) where they
		// are defined. Here: the media type's own example against its schema.
		n := node{pointer: mptr, validate: func(ctx context.Context, _ ...openapi3.ValidationOption) error {
			if media.Example == nil || media.Schema == nil || media.Schema.Value == nil {
				return nil
			}
			if err := media.Schema.Value.VisitJSON(media.Example, openapi3.MultiErrors()); err != nil {
				return fmt.Errorf("invalid example: %w", err)
			}
			return nil
		}, schemas: []*openapi3.SchemaRef{media.Schema}}
		if media.Schema != nil {
			n.children = append(n.children, schemaNode(mptr+"/schema", media.Schema, map[*openapi3.Schema]bool{}))
		}
		for _, name := range sortedKeys(media.Examples) {
			ex := media.Examples[name]
			eptr := mptr + "/examples/" + esc(name)
			n.children = append(n.children, node{pointer: eptr, schemas: []*openapi3.SchemaRef{media.Schema}, validate: func(ctx context.Context, _ ...openapi3.ValidationOption) error {
				if ex == nil || ex.Value == nil || media.Schema == nil || media.Schema.Value == nil {
					return nil
				}
				if err := media.Schema.Value.VisitJSON(ex.Value.Value, openapi3.MultiErrors()); err != nil {
					return fmt.Errorf("invalid example: %w", err)
				}
				return nil
			}})
		}
		out = append(out, n)
	}
	return out
}

// collectRefs adds the names of the component schemas reachable from ref through $ref.
func collectRefs(ref *openapi3.SchemaRef, into map[string]bool) {
	if ref == nil {
		return
	}
	if name, ok := strings.CutPrefix(ref.Ref, "#/components/schemas/"); ok {
		if into[name] {
			return
		}
		into[name] = true
	}
	s := ref.Value
	if s == nil {
		return
	}
	for _, p := range s.Properties {
		collectRefs(p, into)
	}
	collectRefs(s.Items, into)
	collectRefs(s.AdditionalProperties.Schema, into)
	for _, list := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, sub := range list {
			collectRefs(sub, into)
		}
	}
}

// dropEchoes removes a problem that only repeats, through a $ref, a problem already reported inside the
// referenced component schema (kin-openapi validates referenced schemas again wherever they are used).
func dropEchoes(ps []Problem) []Problem {
	out := ps[:0:0]
	for _, p := range ps {
		echo := false
		for _, q := range ps {
			name, ok := componentSchemaOf(q.Pointer)
			if ok && p.reach[name] && q.Pointer != p.Pointer && !strings.HasPrefix(q.Pointer, p.Pointer+"/") &&
				strings.HasSuffix(p.Message, q.Message) {
				echo = true
				break
			}
		}
		if !echo {
			out = append(out, p)
		}
	}
	return out
}

// deepest keeps a problem only when no other problem lies inside the element it points at: an element whose
// part is invalid is itself invalid, and the part says more precisely what is wrong.
func deepest(ps []Problem) []Problem {
	out := ps[:0:0]
	for _, p := range ps {
		inner := false
		for _, q := range ps {
			if strings.HasPrefix(q.Pointer, p.Pointer+"/") || (p.Pointer == "" && q.Pointer != "") {
				inner = true
				break
			}
		}
		if !inner {
			out = append(out, p)
		}
	}
	return out
}

func componentSchemaOf(pointer string) (string, bool) {
	rest, ok := strings.CutPrefix(pointer, "/components/schemas/")
	if !ok {
		return "", false
	}
	name, _, _ := strings.Cut(rest, "/")
	return unesc(name), true
}

// esc escapes one JSON pointer token (RFC 6901).
func esc(token string) string {
	return strings.ReplaceAll(strings.ReplaceAll(token, "~", "~0"), "/", "~1")
}

func unesc(token string) string {
	return strings.ReplaceAll(strings.ReplaceAll(token, "~1", "/"), "~0", "~")
}

// lineOf finds the line of the element at pointer in a YAML (or JSON) document tree, or 0.
func lineOf(root *yaml.Node, pointer string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if pointer == "" {
		return n.Line
	}
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		tok = unesc(tok)
		next := (*yaml.Node)(nil)
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == tok {
					next = n.Content[i+1]
					break
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
			}
		}
		if next == nil {
			return n.Line
		}
		n = next
	}
	return n.Line
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
