package client

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
)

// The decoder of the models of package gen, driven by their Go types: a property is required when its
// field has no omitempty (oapi-codegen writes the schema's required properties so), an enum is a string type
// with a Valid method. Names match as encoding/json matches them (exactly, else case-insensitively), null
// and values of another type leave the field unchanged (and are issues), repeated members merge, invalid
// UTF-8 becomes U+FFFD. It follows the policy of DecodeIssue: nothing but malformed JSON, a read error or
// the memory budget stops it.

// codec is how one Go type of the models is decoded.
type codec struct {
	kind   reflect.Kind // String, Bool, Int…, Float…, Struct, Slice or Map; Struct for time.Time too
	time   bool         // time.Time: a date-time string
	enum   bool         // a string type with a Valid method
	fields []field      // Struct
	names  []string     // Struct: the fields' JSON names, for matchFold
	elem   *codec       // Slice, Map
	typ    reflect.Type
}

// field is a struct field with a JSON name.
type field struct {
	name     string
	index    int
	required bool
	codec    *codec
}

type validator interface{ Valid() bool }

var timeType = reflect.TypeFor[time.Time]()

// codecOf returns the codec of t, and panics on a type the models should never hold (a generator change the
// tests meet at once).
func codecOf(t reflect.Type) *codec {
	c := &codec{kind: t.Kind(), typ: t}
	switch t.Kind() {
	case reflect.String:
		c.enum = t.Implements(reflect.TypeFor[validator]())
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64:
	case reflect.Slice:
		c.elem = codecOf(t.Elem())
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			panic("ampersand: cannot decode the map type " + t.String())
		}
		c.elem = codecOf(t.Elem())
	case reflect.Struct:
		if t == timeType {
			c.time = true
			break
		}
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if !f.IsExported() || name == "-" || name == "" {
				continue
			}
			c.fields = append(c.fields, field{name: name, index: i, required: !slices.Contains(strings.Split(opts, ","), "omitempty"), codec: codecOf(f.Type)})
			c.names = append(c.names, name)
		}
		if len(c.fields) > 64 {
			panic("ampersand: more than 64 properties in " + t.String())
		}
	default:
		panic("ampersand: cannot decode the type " + t.String())
	}
	return c
}

// value decodes the next JSON value into v (addressable). A value of another kind than c
// decodes, or null, is an issue and leaves v unchanged; ok reports a value that was decoded.
func (d *decoder) value(c *codec, v reflect.Value) (ok bool, err error) {
	k := d.dec.PeekKind()
	switch {
	case k == 0:
		_, err := d.dec.ReadValue() // the error that stopped PeekKind
		return false, err
	case k == 'n':
		_, err := d.dec.ReadToken()
		if err != nil {
			return false, err
		}
		return false, d.issue(DecodeIssueNull, jsontext.Value("null"))
	case k != want(c) && !(k == 'f' && c.kind == reflect.Bool):
		return false, d.skipIssue(DecodeIssueWrongType)
	}
	switch c.kind {
	case reflect.String:
		raw, err := d.dec.ReadValue()
		if err != nil {
			return false, err
		}
		s, err := d.makeString(d.unquote(raw))
		if err != nil {
			return false, err
		}
		v.SetString(s)
		if c.enum && !v.Addr().Interface().(validator).Valid() {
			return true, d.issue(DecodeIssueInvalid, raw) // an open enum: kept as received
		}
		return true, nil
	case reflect.Struct:
		if c.time {
			return d.time(v.Addr().Interface().(*time.Time))
		}
		_, err := d.object(c, v)
		return err == nil, err
	case reflect.Slice:
		return d.slice(c, v)
	case reflect.Map:
		return d.mapping(c, v)
	}
	return d.scalar(c, v)
}

// bit returns the bit of the struct field of JSON name name in object's result.
func (c *codec) bit(name string) uint64 {
	for i, n := range c.names {
		if n == name {
			return 1 << i
		}
	}
	panic("ampersand: no property " + name + " in " + c.typ.String())
}

// want returns the JSON kind that c decodes.
func want(c *codec) jsontext.Kind {
	switch c.kind {
	case reflect.String:
		return '"'
	case reflect.Bool:
		return 't'
	case reflect.Struct:
		if c.time {
			return '"'
		}
		return '{'
	case reflect.Slice:
		return '['
	case reflect.Map:
		return '{'
	}
	return '0'
}

// object decodes a JSON object (the next token opens it) into the struct v, and reports missing required
// properties. got has a bit for each field that was decoded.
func (d *decoder) object(c *codec, v reflect.Value) (got uint64, err error) {
	if _, err := d.dec.ReadToken(); err != nil {
		return 0, err
	}
	var seen uint64
	for d.more() {
		raw, err := d.dec.ReadValue()
		if err != nil {
			return got, err
		}
		name := d.unquote(raw)
		i := -1
		for j, n := range c.names {
			if n == string(name) {
				i = j
				break
			}
		}
		if i < 0 {
			if i = matchFold(name, c.names); i < 0 {
				if err := d.dec.SkipValue(); err != nil { // unknown properties are not issues
					return got, err
				}
				continue
			}
		}
		f := &c.fields[i]
		seen |= 1 << i
		ok, err := d.value(f.codec, v.Field(f.index))
		if err != nil {
			return got, err
		}
		if ok {
			got |= 1 << i
		}
	}
	if err := d.close(); err != nil {
		return got, err
	}
	for i := range c.fields {
		if c.fields[i].required && seen&(1<<i) == 0 {
			if err := d.missing(c.fields[i].name); err != nil {
				return got, err
			}
		}
	}
	return got, nil
}

// slice decodes a JSON array into the slice v; an element that cannot be read keeps its place, zero. An
// empty array is an empty slice, not nil, as with encoding/json.
func (d *decoder) slice(c *codec, v reflect.Value) (bool, error) {
	if _, err := d.dec.ReadToken(); err != nil {
		return false, err
	}
	v.SetLen(0)
	if v.IsNil() && !d.more() {
		v.Set(reflect.MakeSlice(c.typ, 0, 0))
		return true, d.close()
	}
	for n := 0; d.more(); n++ {
		if n == v.Cap() { // Grow, unlike MakeSlice, allocates no slice header
			v.Grow(max(4, n)) // doubling, from 4
			if err := d.charge(int64(v.Cap()) * int64(c.typ.Elem().Size())); err != nil {
				return false, err
			}
		}
		v.SetLen(n + 1)
		e := v.Index(n)
		e.SetZero()
		if _, err := d.value(c.elem, e); err != nil {
			return false, err
		}
	}
	return true, d.close()
}

// mapping decodes a JSON object into the map v (entries merge into an existing map); each entry's value is
// decoded afresh, as encoding/json does.
func (d *decoder) mapping(c *codec, v reflect.Value) (bool, error) {
	if _, err := d.dec.ReadToken(); err != nil {
		return false, err
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(c.typ))
	}
	elem := c.typ.Elem()
	k, e := d.mapEntry(c.typ)
	defer func() { k.SetZero(); e.SetZero() }() // the pooled decoder keeps no value
	for d.more() {
		raw, err := d.dec.ReadValue()
		if err != nil {
			return false, err
		}
		if err := d.charge(mapEntryCost(unsafe.Sizeof(""), elem.Size())); err != nil {
			return false, err
		}
		key, err := d.makeString(d.unquote(raw))
		if err != nil {
			return false, err
		}
		e.SetZero()
		if _, err := d.value(c.elem, e); err != nil {
			return false, err
		}
		k.SetString(key)
		v.SetMapIndex(k, e)
	}
	return true, d.close()
}

// mapEntry returns the decoder's key and value for entries of the map type t, made once per decoder (they are
// pooled): SetMapIndex copies them.
func (d *decoder) mapEntry(t reflect.Type) (k, e reflect.Value) {
	if kv, ok := d.maps[t]; ok {
		return kv[0], kv[1]
	}
	kv := [2]reflect.Value{reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()}
	if d.maps == nil {
		d.maps = map[reflect.Type][2]reflect.Value{}
	}
	d.maps[t] = kv
	return kv[0], kv[1]
}

// time decodes a date-time string with time.Time's UnmarshalJSON, as encoding/json does; one it cannot
// parse is an issue, and leaves p zero.
func (d *decoder) time(p *time.Time) (bool, error) {
	raw, err := d.dec.ReadValue()
	if err != nil {
		return false, err
	}
	if err := p.UnmarshalJSON(raw); err != nil {
		*p = time.Time{}
		return false, d.issue(DecodeIssueInvalid, raw)
	}
	return true, nil
}

// scalar decodes a JSON boolean or number (the next value is of the kind c wants) into v, as encoding/json
// does; a number that does not fit v's type is an issue.
func (d *decoder) scalar(c *codec, v reflect.Value) (bool, error) {
	raw, err := d.dec.ReadValue()
	if err != nil {
		return false, err
	}
	if c.kind == reflect.Bool {
		v.SetBool(raw.Kind() == 't')
		return true, nil
	}
	bits := int(c.typ.Size()) * 8
	if c.kind == reflect.Float32 || c.kind == reflect.Float64 {
		f, err := strconv.ParseFloat(string(raw), bits)
		if err == nil {
			v.SetFloat(f)
			return true, nil
		}
	} else if n, err := strconv.ParseInt(string(raw), 10, bits); err == nil {
		v.SetInt(n)
		return true, nil
	}
	return false, d.issue(DecodeIssueInvalid, raw)
}

// skipIssue reads a value of the wrong kind and reports it. The value is read whole, so its size is bounded
// like a token's (maxTokenBytes).
func (d *decoder) skipIssue(kind DecodeIssueKind) error {
	raw, err := d.dec.ReadValue()
	if err != nil {
		return err
	}
	return d.issue(kind, raw)
}
