package client

import (
	"io"
	"reflect"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/ampersand-sdk/ampersand-go/gen"
	"github.com/go-json-experiment/json/jsontext"
)

// Success bodies are read by a streaming jsontext.Decoder, value by value, into the models of package gen,
// driven by their Go types: a property is required when its field has no omitempty (oapi-codegen writes the
// schema's required properties so), an enum is a string type with a Valid method. Names match as
// encoding/json matches them (exactly, else case-insensitively), repeated members merge, invalid UTF-8
// becomes U+FFFD; a value that is null or of another type leaves its field unchanged. Every departure from
// the schema is a DecodeIssue: only malformed JSON, a read error or the memory budget stop the decoding.
// (json v2's own reflective decoding, hooked to do the same, decodes a list at half this walk's speed.)

// codec is how one Go type of the models is decoded.
type codec struct {
	want   jsontext.Kind // the JSON kind it decodes from
	time   bool          // time.Time: a date-time string
	enum   bool          // a string type with a Valid method
	fields []field       // a struct's
	names  []string      // the JSON names of a struct's fields, in the same order
	elem   *codec        // a slice's or map's
	typ    reflect.Type
}

// field is a struct field with a JSON name (in codec.names).
type field struct {
	index    int
	required bool
	codec    *codec
}

// codecOf returns the codec of t, and panics on a type the models should never hold (a generator change the
// tests meet at once).
func codecOf(t reflect.Type) *codec {
	c := &codec{typ: t}
	if t == reflect.TypeFor[time.Time]() {
		c.want, c.time = '"', true
		return c
	}
	switch t.Kind() {
	case reflect.String:
		c.want, c.enum = '"', t.Implements(reflect.TypeFor[interface{ Valid() bool }]())
	case reflect.Slice:
		c.want, c.elem = '[', codecOf(t.Elem())
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			panic("ampersand: cannot decode the map type " + t.String())
		}
		c.want, c.elem = '{', codecOf(t.Elem())
	case reflect.Struct:
		c.want = '{'
		for i := range t.NumField() {
			f := t.Field(i)
			if name, opts, _ := strings.Cut(f.Tag.Get("json"), ","); f.IsExported() && name != "-" && name != "" {
				required := !slices.Contains(strings.Split(opts, ","), "omitempty")
				c.fields = append(c.fields, field{index: i, required: required, codec: codecOf(f.Type)})
				c.names = append(c.names, name)
			}
		}
		if len(c.fields) > 64 {
			panic("ampersand: more than 64 properties in " + t.String())
		}
	default:
		panic("ampersand: cannot decode the type " + t.String())
	}
	return c
}

// bit returns the bit of the struct field of JSON name name in object's result.
func (c *codec) bit(name string) uint64 {
	return 1 << slices.Index(c.names, name)
}

// value decodes the next JSON value into v (addressable). A value of another kind than c decodes, or null,
// is an issue and leaves v unchanged; ok reports a value that was decoded.
func (d *decoder) value(c *codec, v reflect.Value) (ok bool, err error) {
	if k := d.dec.PeekKind(); k != c.want {
		raw, err := d.dec.ReadValue() // whole, so bounded like a token (maxTokenBytes); or the error that stopped PeekKind
		if err != nil {
			return false, err
		}
		if k == 'n' {
			return false, d.issue(DecodeIssueNull, raw)
		}
		return false, d.issue(DecodeIssueWrongType, raw)
	}
	switch {
	case c.want == '"':
		raw, err := d.dec.ReadValue()
		if err != nil {
			return false, err
		}
		if c.time {
			if p := v.Addr().Interface().(*time.Time); p.UnmarshalJSON(raw) != nil { // as encoding/json does
				*p = time.Time{}
				return false, d.issue(DecodeIssueInvalid, raw)
			}
			return true, nil
		}
		s, err := d.makeString(d.unquote(raw))
		if err != nil {
			return false, err
		}
		v.SetString(s)
		if c.enum && !v.Addr().Interface().(interface{ Valid() bool }).Valid() {
			return true, d.issue(DecodeIssueInvalid, raw) // an open enum: kept as received
		}
		return true, nil
	case c.fields != nil:
		_, err := d.object(c, v)
		return err == nil, err
	case c.want == '[':
		return d.slice(c, v)
	}
	return d.mapping(c, v)
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
		s := unsafe.String(unsafe.SliceData(name), len(name)) // only compared, never kept
		i := slices.Index(c.names, s)
		if i < 0 { // strings.EqualFold: '-' and '_' are significant, as in encoding/json
			i = slices.IndexFunc(c.names, func(n string) bool { return strings.EqualFold(s, n) })
		}
		if i < 0 {
			if err := d.dec.SkipValue(); err != nil { // unknown properties are not issues
				return got, err
			}
			continue
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
			if err := d.missing(c.names[i]); err != nil {
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
// decoded afresh, as encoding/json does. Its key and value are the decoder's, made once per map type (the
// decoders are pooled): SetMapIndex copies them.
func (d *decoder) mapping(c *codec, v reflect.Value) (bool, error) {
	if _, err := d.dec.ReadToken(); err != nil {
		return false, err
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(c.typ))
	}
	kv, ok := d.maps[c.typ]
	if !ok {
		kv = [2]reflect.Value{reflect.New(c.typ.Key()).Elem(), reflect.New(c.typ.Elem()).Elem()}
		d.maps[c.typ] = kv
	}
	k, e := kv[0], kv[1]
	defer func() { k.SetZero(); e.SetZero() }() // the pooled decoder keeps no value
	// An entry may allocate a slot and its control byte, at the 7/16 load of a table that has just doubled,
	// twice (the tables outgrown on the way).
	entryCost := int64(2 * (unsafe.Sizeof("") + c.typ.Elem().Size() + 1) * 16 / 7)
	for d.more() {
		raw, err := d.dec.ReadValue()
		if err != nil {
			return false, err
		}
		if err := d.charge(entryCost); err != nil {
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

// The codecs of the success bodies.
var (
	connectionCodec = codecOf(reflect.TypeFor[Connection]())
	customAuthCodec = codecOf(reflect.TypeFor[gen.CustomAuthConnectResponse]())
)

// decodeConnectionBody decodes a body that holds one connection, which must have a usable id.
func decodeConnectionBody(r io.Reader, rep *report, v *Connection) error {
	d := newDecoder(r, rep)
	defer d.release()
	if err := d.start('{', "a connection object"); err != nil {
		return err
	}
	if err := d.connection(v); err != nil {
		return err
	}
	if v.ID == "" {
		return &decodeProblem{pointer: "/id", msg: "the connection has no usable id: there is nothing to return"}
	}
	return d.end()
}

// connection decodes the next value, a connection, into v; one without a usable id (or that is no object)
// leaves v.ID empty and is reported by one issue, at its id or at the value, instead of its others.
func (d *decoder) connection(v *Connection) error {
	since := len(d.rep.issues)
	if _, err := d.value(connectionCodec, reflect.ValueOf(v).Elem()); err != nil || v.ID != "" {
		return err
	}
	at := string(d.dec.StackPointer())
	id := d.rep.key.redact(at + "/id")
	// The others go; DeleteFunc zeroes their slots, so the spare capacity keeps none of their strings.
	kept := slices.DeleteFunc(d.rep.issues[since:], func(is DecodeIssue) bool { return is.Pointer != id && is.Pointer != at })
	d.rep.issues = d.rep.issues[:since+len(kept)]
	if len(kept) == 0 { // the id was an empty string
		return d.record(id, DecodeIssueInvalid, []byte(`""`))
	}
	return nil
}
