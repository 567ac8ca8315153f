package client

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/ampersand-sdk/ampersand-go/internal/spec"
)

// The fuzz targets' oracle for required properties, written independently of the generated decoders: it
// reads the spec (not decode.gen.go) and a plain tree of the JSON (duplicates kept), and applies
// encoding/json's merge rules — a property is present when one of its occurrences is not null; the members
// of repeated objects merge; a map entry is decoded afresh, so the last one of a key counts.

// node is a JSON value with object members in order, duplicates included.
type node struct {
	kind    jsontext.Kind
	members []member
	elems   []*node
}

type member struct {
	name  string
	value *node
}

// parseTree parses one JSON value; ok is false when the input is not exactly one value.
func parseTree(data []byte) (*node, bool) {
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	var read func() (*node, bool)
	read = func() (*node, bool) {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, false
		}
		n := &node{kind: tok.Kind()}
		switch n.kind {
		case '{':
			for dec.PeekKind() != '}' {
				tok, err := dec.ReadToken()
				if err != nil {
					return nil, false
				}
				name := tok.String() // before the next read invalidates the token
				v, ok := read()
				if !ok {
					return nil, false
				}
				n.members = append(n.members, member{name, v})
			}
			_, err = dec.ReadToken()
		case '[':
			for dec.PeekKind() != ']' {
				v, ok := read()
				if !ok {
					return nil, false
				}
				n.elems = append(n.elems, v)
			}
			_, err = dec.ReadToken()
		}
		return n, err == nil
	}
	root, ok := read()
	if !ok {
		return nil, false
	}
	if _, err := dec.ReadToken(); err == nil {
		return nil, false
	}
	return root, true
}

var connectionSchema = sync.OnceValue(func() *openapi3.SchemaRef {
	doc, err := spec.Load()
	if err != nil {
		panic(err)
	}
	return doc.Components.Schemas["Connection"]
})

// schemaParts merges a schema's allOf members.
func schemaParts(ref *openapi3.SchemaRef) (props map[string]*openapi3.SchemaRef, required []string, values *openapi3.SchemaRef) {
	props = map[string]*openapi3.SchemaRef{}
	var walk func(s *openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		for _, sub := range s.AllOf {
			walk(sub.Value)
		}
		for k, v := range s.Properties {
			props[k] = v
		}
		required = append(required, s.Required...)
		if s.AdditionalProperties.Schema != nil {
			values = s.AdditionalProperties.Schema
		}
	}
	walk(ref.Value)
	return props, required, values
}

// complete reports whether the objects objs (one value, merged from its occurrences) have every property that
// schema ref requires, recursively.
func complete(ref *openapi3.SchemaRef, objs []*node) bool {
	props, required, _ := schemaParts(ref)
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	// occurrences[p]: the non-null values of property p, in order.
	occurrences := map[string][]*node{}
	for _, o := range objs {
		for _, m := range o.members {
			p := ""
			if _, ok := props[m.name]; ok {
				p = m.name
			} else {
				for _, n := range names {
					if strings.EqualFold(n, m.name) {
						p = n
					}
				}
			}
			if p != "" {
				occurrences[p] = append(occurrences[p], m.value) // nulls too: a null map empties it
			}
		}
	}
	for _, r := range required {
		if !slices.ContainsFunc(occurrences[r], func(n *node) bool { return n.kind != 'n' }) {
			return false
		}
	}
	for p, occ := range occurrences {
		sub := props[p]
		subProps, _, values := schemaParts(sub)
		objs := slices.DeleteFunc(slices.Clone(occ), func(n *node) bool { return n.kind == 'n' })
		switch {
		case len(subProps) > 0 && len(objs) > 0:
			if !complete(sub, objs) {
				return false
			}
		case values != nil && len(values.Value.Properties) > 0:
			last := map[string]*node{}
			for _, o := range occ {
				if o.kind == 'n' {
					clear(last) // null sets the map to nil
				}
				for _, m := range o.members {
					last[m.name] = m.value
				}
			}
			for _, v := range last {
				if v.kind != '{' || !complete(values, []*node{v}) {
					return false
				}
			}
		}
	}
	return true
}

// hasRequired reports whether data, which encoding/json decodes into a Connection (list false) or a
// []Connection (list true), also has every required property and no null where an object is required.
func hasRequired(t *testing.T, data []byte, list bool) bool {
	root, ok := parseTree(data)
	if !ok {
		t.Fatalf("json.Unmarshal accepted %q, which the oracle cannot parse", data)
	}
	if !list {
		return root.kind == '{' && complete(connectionSchema(), []*node{root})
	}
	if root.kind != '[' {
		return false
	}
	for _, e := range root.elems {
		if e.kind != '{' || !complete(connectionSchema(), []*node{e}) {
			return false
		}
	}
	return true
}
