package client

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/ampersand-sdk/ampersand-go/gen"
)

// Success bodies and notifications are decoded by github.com/go-json-experiment/json with encoding/json's
// semantics, through hooks that see every value first (decoder.hook) and apply the policy of DecodeIssue:
// a value that is null, of another type, or that its type refuses (a date-time that does not parse) is an
// issue and leaves its field as it was; an absent required property (a field without omitzero, which
// oapi-codegen writes on the optional ones only) is an issue; an enum value the SDK does not know is kept,
// and is an issue. json does the rest (names matched as encoding/json does, repeated members merged,
// unknown members skipped). Only malformed JSON, a read error or the memory budget stop the decoding.
//
// The hook also charges what the decoding allocates (strings, slice and map growth, issues, list elements
// — those left out too) to a budget of maxAmplification bytes per body byte read so far, plus
// decodeSlack: a body crafted to decode into much more memory than it occupies fails instead of exhausting
// memory. bodyReader refuses a JSON token longer than maxTokenBytes.

// v1Semantics are the options that give encoding/json's results with github.com/go-json-experiment/json.
var v1Semantics = json.JoinOptions(json.MatchCaseInsensitiveNames(true), jsonv1.MatchCaseSensitiveDelimiter(true),
	jsonv1.MergeWithLegacySemantics(true), jsonv1.ParseTimeWithLooseRFC3339(true),
	jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

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

// decodeProblem is a decoding failure at a JSON pointer of the body.
type decodeProblem struct {
	pointer, msg string
	err          error // the underlying cause, if any
}

func (e *decodeProblem) Error() string {
	if e.err != nil {
		return cmp.Or(e.pointer, "the body") + ": " + e.msg + ": " + e.err.Error()
	}
	return cmp.Or(e.pointer, "the body") + ": " + e.msg
}

func (e *decodeProblem) Unwrap() error { return e.err }

// typed returns the hook for values of type T. Every type of the models that a body decodes into has its
// hook in decodeOptions (TestEveryModelTypeIsHooked checks it); json's catch-all form (func(…, any)) would
// reach each value through a reflect conversion that allocates. json hands a hook the *jsontext.Decoder
// that it was given: a decoder's first field, from which the hook finds the decoder.
func typed[T any]() *json.Unmarshalers {
	return json.UnmarshalFromFunc(func(dec *jsontext.Decoder, p *T) error { return (*decoder)(unsafe.Pointer(dec)).hook(p) })
}

var decodeOptions = json.JoinOptions(v1Semantics, json.WithUnmarshalers(json.JoinUnmarshalers(
	typed[string](), typed[time.Time](), typed[[]string](), typed[map[string]string](), typed[map[string][]string](),
	typed[gen.Connection](), typed[gen.AuthScheme](), typed[gen.ConnectionStatus](), typed[gen.Group](),
	typed[gen.Consumer](), typed[gen.ProviderApp](), typed[gen.ProviderAppMetadata](), typed[gen.OAuth2AuthorizationCode](),
	typed[gen.OAuth2Token](), typed[gen.ProviderMetadata](), typed[gen.ProviderMetadataInfo](),
	typed[gen.ProviderMetadataInfoSource](), typed[gen.CustomAuthConnectResponse](), typed[gen.RedirectResponse](),
	typed[gen.NotificationType](), typed[gen.ConnectionCreatedNotificationPayload](),
	typed[gen.ConnectionUpdatedNotificationPayload](), typed[gen.ConnectionRefreshedNotificationPayload](),
	typed[gen.ConnectionDeletedNotificationPayload](), typed[gen.ConnectionErrorNotificationPayload](),
	typed[gen.ConnectionData](), typed[gen.ConnectionErrorData]())))

// decoder holds the state of one body's decoding. Decoders are pooled.
type decoder struct {
	dec     jsontext.Decoder // first: see typed
	used    int64            // bytes charged to the allocation budget
	rep     *report          // where issues go
	body    *bodyReader      // the body whose token guard this decoder armed
	self    any              // the container the hook hands back to json (see container)
	frames  []frame          // the containers being decoded, innermost last
	last    frame            // the struct decoded last (see object)
	entries map[reflect.Type][2]reflect.Value
	strs    [256]string // interned short strings: repeated values cost nothing
	scratch []byte
}

// frame is a struct, slice or map being decoded.
type frame struct {
	depth     int     // the decoder's stack depth at its members
	base      uintptr // a struct's address
	fields    []field // a struct's
	elem      int64   // a slice's or map's: what each element or entry is charged
	seen, got uint64  // a struct's fields met, and those that received a value
}

// field is a struct field with a JSON name.
type field struct {
	name     string
	offset   uintptr
	required bool
}

var structFields sync.Map // reflect.Type → []field

func fieldsOf(t reflect.Type) []field {
	if fs, ok := structFields.Load(t); ok {
		return fs.([]field)
	}
	var fs []field
	for i := range t.NumField() {
		f := t.Field(i)
		if name, opts, _ := strings.Cut(f.Tag.Get("json"), ","); f.IsExported() && name != "" && name != "-" {
			fs = append(fs, field{name, f.Offset, !strings.Contains(","+opts+",", ",omitzero,")})
		}
	}
	if len(fs) > 64 {
		panic("ampersand: more than 64 properties in " + t.String())
	}
	structFields.Store(t, fs)
	return fs
}

var decoders = sync.Pool{New: func() any { return &decoder{entries: map[reflect.Type][2]reflect.Value{}} }}

// noBody is an empty reader without state, which pooled decoders hold between uses.
type noBody struct{}

func (noBody) Read([]byte) (int, error) { return 0, io.EOF }

// newDecoder returns a decoder reading r (a *bodyReader, whose token guard it arms, or any reader), which
// records issues in rep.
func newDecoder(r io.Reader, rep *report) *decoder {
	d := decoders.Get().(*decoder)
	d.dec.Reset(r, decodeOptions)
	d.used, d.rep = 0, rep
	if br, ok := bodyOf(r); ok {
		br.dec, d.body = &d.dec, br
	}
	return d
}

// release returns d to the pool; d must not be used afterwards.
func (d *decoder) release() {
	if d.body != nil {
		d.body.dec, d.body = nil, nil
	}
	d.dec.Reset(noBody{}, decodeOptions) // drop the body (jsontext refuses a nil reader)
	if cap(d.scratch) > 64<<10 {
		d.scratch = nil
	}
	d.rep, d.self, d.frames, d.last = nil, nil, d.frames[:0], frame{}
	decoders.Put(d)
}

// value decodes the next JSON value into *p.
func (d *decoder) value(p any) error {
	err := json.UnmarshalDecode(&d.dec, p)
	if dp := (*decodeProblem)(nil); err != nil && errors.As(err, &dp) {
		return dp // the hook's own, without json's wrapping
	}
	return err
}

// object decodes the next JSON value into the struct *p, and reports which of the JSON names given received
// a value (not null, not of another type).
func (d *decoder) object(p any, names ...string) ([]bool, error) {
	d.last = frame{}
	err := d.value(p)
	got := make([]bool, len(names))
	for i, f := range d.last.fields {
		for j, n := range names {
			got[j] = got[j] || n == f.name && d.last.got&(1<<i) != 0
		}
	}
	return got, err
}

// hook decodes the next value into *p (see the top of this file).
func (d *decoder) hook(p any) error {
	if p == d.self {
		return errors.ErrUnsupported // json's own decoding of the container the hook opened
	}
	v := reflect.ValueOf(p).Elem()
	want := jsontext.Kind('"')
	switch _, isTime := p.(*time.Time); v.Kind() {
	case reflect.Struct, reflect.Map:
		if want = '{'; isTime {
			want = '"'
		}
	case reflect.Slice:
		want = '['
	case reflect.String:
	default:
		return errors.ErrUnsupported // none in the models: TestEveryModelTypeIsHooked fails
	}
	parent, bit, err := d.member(v)
	if err != nil {
		return err
	}
	if k := d.dec.PeekKind(); k != want {
		raw, err := d.dec.ReadValue()
		if err != nil {
			return err
		}
		return d.issue(map[bool]DecodeIssueKind{true: DecodeIssueNull, false: DecodeIssueWrongType}[k == 'n'], raw)
	}
	ok := true
	if want == '"' {
		ok, err = d.leaf(p, v)
	} else {
		err = d.container(p, v)
	}
	if ok && parent >= 0 {
		d.frames[parent].got |= bit
	}
	return err
}

// member notes v as a member of the innermost container, and charges it: it returns the container's frame
// (else -1) and, in a struct, v's field bit.
func (d *decoder) member(v reflect.Value) (int, uint64, error) {
	i := len(d.frames) - 1
	if i < 0 || d.frames[i].depth != d.dec.StackDepth() {
		return -1, 0, nil
	}
	f := &d.frames[i]
	for j := range f.fields {
		if f.fields[j].offset == v.UnsafeAddr()-f.base {
			f.seen |= 1 << j
			return i, 1 << j, nil
		}
	}
	if _, n := d.dec.StackIndex(f.depth); f.elem > 0 && n%2 == 0 { // an element, or a map entry's key
		return -1, 0, d.charge(f.elem)
	}
	return -1, 0, nil
}

// container decodes a JSON object or array into the struct, slice or map v, which *p is: the members of a
// struct or slice through json (which calls the hook for each), those of a map itself.
func (d *decoder) container(p any, v reflect.Value) error {
	f := frame{depth: d.dec.StackDepth() + 1}
	switch t := v.Type(); t.Kind() {
	case reflect.Struct:
		f.base, f.fields = v.UnsafeAddr(), fieldsOf(t)
	case reflect.Slice: // grown by append: at most 5 times its final size allocated on the way
		if f.elem = 5 * int64(t.Elem().Size()); v.Cap() == 0 { // from 4, not 1, 2, 4: most are short
			v.Grow(4)
			if err := d.charge(4 * f.elem); err != nil {
				return err
			}
		}
	case reflect.Map: // an entry and its key: a slot at the load of a table that has just doubled, twice
		f.elem = int64(2*(16+t.Elem().Size()+1)*16/7) + 32
	}
	d.frames = append(d.frames, f)
	var err error
	if v.Kind() == reflect.Map {
		err = d.mapping(v)
	} else {
		self := d.self
		d.self = p
		err = json.UnmarshalDecode(&d.dec, p)
		d.self = self
	}
	f = d.frames[len(d.frames)-1]
	d.frames = d.frames[:len(d.frames)-1]
	if v.Kind() != reflect.Struct || err != nil {
		return err
	}
	d.last = f
	for i, fl := range f.fields {
		if fl.required && f.seen&(1<<i) == 0 {
			if err := d.record(string(d.dec.StackPointer().AppendToken(fl.name)), DecodeIssueMissing, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// mapping decodes a JSON object into the map v: entries merge into what it holds, each value decoded afresh
// (as encoding/json does). json's own map decoding allocates a key and a value per map; a decoder keeps one
// of each per map type.
func (d *decoder) mapping(v reflect.Value) error {
	if _, err := d.dec.ReadToken(); err != nil {
		return err
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	kv, ok := d.entries[v.Type()]
	if !ok {
		kv = [2]reflect.Value{reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()}
		d.entries[v.Type()] = kv
	}
	defer func() { kv[0].SetZero(); kv[1].SetZero() }() // a pooled decoder keeps no value
	for d.more() {
		kv[1].SetZero()
		if err := d.value(kv[0].Addr().Interface()); err != nil {
			return err
		}
		if err := d.value(kv[1].Addr().Interface()); err != nil {
			return err
		}
		v.SetMapIndex(kv[0], kv[1])
	}
	return d.close()
}

// leaf decodes a JSON string into v, which *p is: a date-time as encoding/json does (one that does not parse
// is an issue, and leaves v zero), else a string, interned; an enum value not in the schema is kept, and is
// an issue.
func (d *decoder) leaf(p any, v reflect.Value) (bool, error) {
	raw, err := d.dec.ReadValue()
	if err != nil {
		return false, err
	}
	if t, ok := p.(*time.Time); ok {
		if err := t.UnmarshalJSON(raw); err != nil {
			*t = time.Time{}
			return false, d.issue(DecodeIssueInvalid, raw)
		}
		return true, nil
	}
	s, err := d.makeString(d.unquote(raw))
	if err != nil {
		return false, err
	}
	v.SetString(s)
	if e, ok := p.(interface{ Valid() bool }); ok && !e.Valid() {
		return true, d.issue(DecodeIssueInvalid, raw)
	}
	return true, nil
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

// charge adds n bytes to the allocation budget and fails when it is exceeded.
func (d *decoder) charge(n int64) error {
	if d.used += n; d.used > maxAmplification*d.dec.InputOffset()+decodeSlack {
		return &decodeProblem{pointer: string(d.dec.StackPointer()), msg: "refused", err: errAmplified}
	}
	return nil
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
		return &decodeProblem{pointer: string(d.dec.StackPointer()), msg: "expected " + what + ", found " + map[jsontext.Kind]string{
			'n': "null", 't': "a boolean", 'f': "a boolean", '"': "a string", '0': "a number", '{': "an object", '[': "an array"}[k]}
	}
	return nil
}

// end reports trailing data after the value.
func (d *decoder) end() error {
	switch _, err := d.dec.ReadToken(); {
	case err == io.EOF:
		return nil
	case err == nil:
		return &decodeProblem{pointer: string(d.dec.StackPointer()), msg: "unexpected data after the JSON value"}
	default:
		return fmt.Errorf("after the JSON value: %w", err)
	}
}

// connection decodes the next value, a connection, into v; one without a usable id (or that is no object)
// leaves v.ID empty and is reported by one issue, at its id or at the value, instead of its others.
func (d *decoder) connection(v *Connection) error {
	since := len(d.rep.issues)
	if err := d.value(v); err != nil || v.ID != "" {
		return err
	}
	at := string(d.dec.StackPointer())
	id := d.rep.key.redact(at + "/id")
	kept := d.rep.issues[:since]
	for _, is := range d.rep.issues[since:] {
		if is.Pointer == id || is.Pointer == at {
			kept = append(kept, is)
		}
	}
	clear(d.rep.issues[len(kept):])
	d.rep.issues = kept
	if len(kept) == since { // the id was an empty string
		return d.record(id, DecodeIssueInvalid, []byte(`""`))
	}
	return nil
}

// decodeConnectionBody decodes a body that holds one connection, which must have a usable id.
func decodeConnectionBody(r io.Reader, rep *report, v *Connection) error {
	d := newDecoder(r, rep)
	defer d.release()
	if err := d.start(r, '{', "a connection object"); err != nil {
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

// decodeJSONBytes decodes a problem document as encoding/json would.
func decodeJSONBytes(data []byte, v any) error { return json.Unmarshal(data, v, v1Semantics) }
