package client

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
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

// properties returns the JSON properties of a model type, by name, and the names of the required ones: the
// fields oapi-codegen wrote without omitzero, which it writes on the optional properties only.
func properties(t reflect.Type) (props map[string]reflect.Type, required []string) {
	props = map[string]reflect.Type{}
	for i := range t.NumField() {
		name, opts, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		props[name] = t.Field(i).Type
		if !slices.Contains(strings.Split(opts, ","), "omitzero") {
			required = append(required, name)
		}
	}
	return props, required
}

// complete reports whether the objects objs (one value, merged from its occurrences) have every property that
// the struct type t requires, recursively.
func complete(t reflect.Type, objs []*node) bool {
	props, required := properties(t)
	// occurrences[p]: the values of property p, in order.
	occurrences := map[string][]*node{}
	for _, o := range objs {
		for _, m := range o.members {
			p := ""
			if _, ok := props[m.name]; ok {
				p = m.name
			} else {
				for n := range props {
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
		objs := slices.DeleteFunc(slices.Clone(occ), func(n *node) bool { return n.kind == 'n' })
		switch {
		case sub.Kind() == reflect.Struct && sub != reflect.TypeFor[time.Time]() && len(objs) > 0:
			if !complete(sub, objs) {
				return false
			}
		case sub.Kind() == reflect.Map && sub.Elem().Kind() == reflect.Struct:
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
				if v.kind != '{' || !complete(sub.Elem(), []*node{v}) {
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
		return root.kind == '{' && complete(reflect.TypeFor[Connection](), []*node{root})
	}
	if root.kind != '[' {
		return false
	}
	for _, e := range root.elems {
		if e.kind != '{' || !complete(reflect.TypeFor[Connection](), []*node{e}) {
			return false
		}
	}
	return true
}
