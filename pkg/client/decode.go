package client

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
)

// Success bodies are read by a streaming jsontext.Decoder, value by value, into the models of package gen,
// driven by their Go types: a property is required when its field has no omitempty (oapi-codegen writes the
// schema's required properties so), an enum is a string type with a Valid method. Names match as
// encoding/json matches them (exactly, else case-insensitively), repeated members merge, invalid UTF-8
// becomes U+FFFD; a value that is null or of another type leaves its field unchanged. Every departure from
// the schema is a DecodeIssue: only malformed JSON, a read error or the memory budget stop the decoding.
// (json v2's own reflective decoding, hooked to do the same, decodes a list at half this walk's speed.)
//
// The decoder also bounds what a body can cost: every allocation it makes is charged to a budget of
// maxAmplification bytes per body byte read so far, plus decodeSlack — a body crafted to decode into much
// more memory than it occupies (tiny list elements, arrays of empty strings, maps of tiny entries, values
// that are all issues) fails instead of exhausting memory; and no JSON token may exceed maxTokenBytes
// (bodyReader enforces it), which bounds what the streaming decoder buffers.

const (
	maxAmplification = 4        // bytes the decoding of a success body may allocate per body byte
	decodeSlack      = 16 << 20 // and beyond: the decoder's buffers, room to size a list (listReserve)
	maxTokenBytes    = 1 << 20  // the longest JSON string or number (or value of the wrong type) of a body
)

var (
	errAmplified = fmt.Errorf("decoding the reply would allocate more than %d bytes per byte received; a "+
		"legitimate reply never does", maxAmplification)
	errTokenTooLarge = fmt.Errorf("the reply holds a JSON value longer than %d bytes", maxTokenBytes)
	errNotJSON       = errors.New("empty body") // the cause for a body that holds no JSON value at all
)

// codec is how one Go type of the models is decoded.
type codec struct {
	want   jsontext.Kind // the JSON kind it decodes from
	time   bool          // time.Time: a date-time string
	enum   bool          // a string type with a Valid method
	fields []field       // a struct's
	names  []string      // a struct's fields' JSON names, for matchFold
	elem   *codec        // a slice's or map's
	typ    reflect.Type
}

// field is a struct field with a JSON name.
type field struct {
	name     string
	index    int
	required bool
	codec    *codec
}

// codecOf returns the codec of t, and panics on a type the models should never hold (a generator change the
// tests meet at once).
func codecOf(t reflect.Type) *codec {
	c := &codec{typ: t}
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
		if c.want, c.time = '"', t == reflect.TypeFor[time.Time](); c.time {
			break
		}
		c.want = '{'
		for i := range t.NumField() {
			f := t.Field(i)
			if name, opts, _ := strings.Cut(f.Tag.Get("json"), ","); f.IsExported() && name != "-" && name != "" {
				required := !slices.Contains(strings.Split(opts, ","), "omitempty")
				c.fields = append(c.fields, field{name: name, index: i, required: required, codec: codecOf(f.Type)})
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

// decoder holds the state of one body's decoding. Decoders are pooled.
type decoder struct {
	dec     *jsontext.Decoder
	used    int64                             // bytes charged to the allocation budget
	strs    [256]string                       // interned short strings (as json v2 does): repeated IDs cost nothing
	scratch []byte                            // unquoting buffer
	body    *bodyReader                       // the body whose token guard this decoder armed
	rep     *report                           // where issues go
	maps    map[reflect.Type][2]reflect.Value // see mapping
}

var decoders = sync.Pool{New: func() any {
	return &decoder{dec: jsontext.NewDecoder(noBody{}, v1Semantics), maps: map[reflect.Type][2]reflect.Value{}}
}}

// noBody is an empty reader without state, which pooled decoders hold between uses.
type noBody struct{}

func (noBody) Read([]byte) (int, error) { return 0, io.EOF }

// newDecoder returns a decoder reading r (a *bodyReader, whose token guard it arms, or any reader), which
// records issues in rep.
func newDecoder(r io.Reader, rep *report) *decoder {
	d := decoders.Get().(*decoder)
	d.dec.Reset(r, v1Semantics)
	d.used, d.rep = 0, rep
	if br, ok := bodyOf(r); ok {
		br.dec, d.body = d.dec, br
	}
	return d
}

// release returns d to the pool; d must not be used afterwards.
func (d *decoder) release() {
	if d.body != nil {
		d.body.dec, d.body = nil, nil
	}
	d.dec.Reset(noBody{}, v1Semantics) // drop the body (jsontext refuses a nil reader)
	if cap(d.scratch) > 64<<10 {
		d.scratch = nil
	}
	d.rep = nil
	decoders.Put(d)
}

// decodeProblem is a decoding failure at a JSON pointer of the body.
type decodeProblem struct {
	pointer, msg string
	err          error // the underlying cause, if any
}

func (e *decodeProblem) Error() string {
	s := e.pointer + ": " + e.msg
	if e.pointer == "" {
		s = "the body: " + e.msg
	}
	if e.err != nil {
		return s + ": " + e.err.Error()
	}
	return s
}

func (e *decodeProblem) Unwrap() error { return e.err }

// fail returns a decodeProblem at the value just read.
func (d *decoder) fail(msg string, err error) error {
	return &decodeProblem{pointer: string(d.dec.StackPointer()), msg: msg, err: err}
}

// charge adds n bytes to the allocation budget and fails when it is exceeded.
func (d *decoder) charge(n int64) error {
	if d.used += n; d.used > maxAmplification*d.dec.InputOffset()+decodeSlack {
		return d.fail("refused", errAmplified)
	}
	return nil
}

// start checks that the body holds a value of kind want ('{' or '['), and reads the '[' of a list: what
// would fail the whole body (another shape, null, no JSON at all) is an error, not an issue.
func (d *decoder) start(r io.Reader, want jsontext.Kind, what string) error {
	k := d.dec.PeekKind()
	if k == want && want == '{' {
		return nil
	}
	_, err := d.dec.ReadToken()
	switch br, ok := bodyOf(r); {
	case err != nil && ok && br.read == 0 && br.readErr == nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
		return errNotJSON
	case err != nil:
		return err
	case k != want:
		return d.fail("expected "+what+", found "+map[jsontext.Kind]string{'n': "null", 't': "a boolean", 'f': "a boolean",
			'"': "a string", '0': "a number", '{': "an object", '[': "an array"}[k], nil)
	}
	return nil
}

// end reports trailing data after the value.
func (d *decoder) end() error {
	switch _, err := d.dec.ReadToken(); {
	case err == io.EOF:
		return nil
	case err == nil:
		return d.fail("unexpected data after the JSON value", nil)
	default:
		return fmt.Errorf("after the JSON value: %w", err)
	}
}

// more reports whether the object or array being read has another member or element.
func (d *decoder) more() bool {
	k := d.dec.PeekKind()
	return k != '}' && k != ']' && k != 0
}

// close reads the end of an object or array (or the error that stopped more).
func (d *decoder) close() error {
	_, err := d.dec.ReadToken()
	return err
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
	case c.time:
		raw, err := d.dec.ReadValue()
		if err != nil {
			return false, err
		}
		if p := v.Addr().Interface().(*time.Time); p.UnmarshalJSON(raw) != nil { // as encoding/json does
			*p = time.Time{}
			return false, d.issue(DecodeIssueInvalid, raw)
		}
		return true, nil
	case c.want == '"':
		raw, err := d.dec.ReadValue()
		if err != nil {
			return false, err
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
			if err := d.record(string(d.dec.StackPointer().AppendToken(c.fields[i].name)), DecodeIssueMissing, nil); err != nil {
				return got, err
			}
		}
	}
	return got, nil
}

// matchFold finds name among a struct's JSON names case-insensitively, as encoding/json does after an exact
// match failed (strings.EqualFold, '-' and '_' significant); -1 when none matches.
func matchFold(name []byte, names []string) int {
	s := unsafe.String(unsafe.SliceData(name), len(name)) // EqualFold does not keep it
	return slices.IndexFunc(names, func(n string) bool { return strings.EqualFold(s, n) })
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

// unquote returns the text of a JSON string read by ReadValue (so well-formed): the bytes between the quotes
// when they need no decoding, else a decoded copy in the scratch buffer, with invalid UTF-8 replaced by
// U+FFFD as encoding/json does.
func (d *decoder) unquote(v jsontext.Value) []byte {
	if in := v[1 : len(v)-1]; bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return in
	}
	d.scratch, _ = jsontext.AppendUnquote(d.scratch[:0], v) // the only possible error is the invalid UTF-8 replaced
	return d.scratch
}

// makeString returns b as a string, interning short ones, and charges what it allocates.
func (d *decoder) makeString(b []byte) (string, error) {
	if len(b) < 2 {
		return string(b), nil // the runtime has every 0- and 1-byte string
	}
	var slot *string
	if len(b) <= 256 {
		if slot = &d.strs[internHash(b)%uint32(len(d.strs))]; *slot == string(b) {
			return *slot, nil
		}
	}
	s := string(b)
	if slot != nil {
		*slot = s
	}
	return s, d.charge(stringCost(len(b)))
}

// internHash hashes a string's fixed-size prefix and suffix (json v2's string cache does the same).
func internHash(b []byte) uint32 {
	var lo, hi uint64
	switch {
	case len(b) >= 8:
		lo, hi = binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[len(b)-8:])
	case len(b) >= 4:
		lo, hi = uint64(binary.LittleEndian.Uint32(b)), uint64(binary.LittleEndian.Uint32(b[len(b)-4:]))
	default:
		lo, hi = uint64(binary.LittleEndian.Uint16(b)), uint64(binary.LittleEndian.Uint16(b[len(b)-2:]))
	}
	h := uint32(lo)*0x9e3779b1 ^ uint32(lo>>32)*0x85ebca77 ^ bits.RotateLeft32(uint32(hi)*0xc2b2ae3d^uint32(hi>>32)*0x27d4eb2f, 13)
	return h ^ h>>15
}

// stringCost is at least what allocating an n-byte string costs: its size class rounds it up by at most a
// quarter (8-byte granularity below 16 bytes).
func stringCost(n int) int64 { return int64((n + n/4 + 7) &^ 7) }
