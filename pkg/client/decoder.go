package client

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
)

// Success bodies are decoded by code generated from the spec and the models of package gen
// (decode.gen.go, written by internal/cmd/decodergen) on top of the decoder below. The generated code
// reads each object member by member from a streaming jsontext.Decoder; it gives exactly encoding/json's
// results (names matched exactly, else case-insensitively; null leaves a value unchanged; repeated objects
// merge; invalid UTF-8 becomes U+FFFD — the fuzz targets check it against json.Unmarshal) and adds three
// things encoding/json cannot:
//
//   - a property the spec marks required that is absent or null, at any depth, is an error naming its JSON
//     pointer;
//   - every allocation the decoding makes is charged to a budget of maxAmplification bytes per body byte read
//     so far, plus decodeSlack: a body crafted to decode into much more memory than it occupies (tiny list
//     elements, arrays of empty strings, maps of tiny entries) fails instead of exhausting memory;
//   - no single JSON token (a string or number) may exceed maxTokenBytes (bodyReader enforces it), which bounds
//     what the streaming decoder buffers.

// maxAmplification is how many bytes of memory the decoding of a success body may allocate per body byte.
const maxAmplification = 4

// decodeSlack is the allocation every body may make beyond maxAmplification times its size: the decoder's
// own buffers (bounded by maxTokenBytes), and room to size a list's slice from the announced length before
// the body arrives (listReserve, about 12,000 connections).
const decodeSlack = 16 << 20

// maxTokenBytes bounds a single JSON string or number of a success body.
const maxTokenBytes = 1 << 20

var (
	errAmplified = fmt.Errorf("decoding the reply would allocate more than %d bytes per byte received; a "+
		"legitimate reply never does", maxAmplification)
	errTokenTooLarge = fmt.Errorf("the reply holds a JSON value longer than %d bytes", maxTokenBytes)
)

// decoder holds the state of one body's decoding. Decoders are pooled.
type decoder struct {
	dec     *jsontext.Decoder
	used    int64        // bytes charged to the allocation budget
	strs    [256]string  // interned short strings (as encoding/json/v2 does): repeated IDs cost nothing
	scratch []byte       // unquoting buffer
	cache   *stringCache // nil disables interning
	pending []pending    // map entries that failed their checks (see entryDone)
	body    *bodyReader  // the body whose token guard this decoder armed
}

type stringCache = [256]string

var decoders = sync.Pool{New: func() any {
	d := &decoder{dec: jsontext.NewDecoder(noBody{}, v1Semantics)}
	d.cache = &d.strs
	return d
}}

// noBody is an empty reader without state, which pooled decoders hold between uses.
type noBody struct{}

func (noBody) Read([]byte) (int, error) { return 0, io.EOF }

// newDecoder returns a decoder reading r (a *bodyReader, whose token guard it arms, or any reader in tests).
func newDecoder(r io.Reader) *decoder {
	d := decoders.Get().(*decoder)
	d.dec.Reset(r, v1Semantics)
	d.used = 0
	d.pending = d.pending[:0]
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
	decoders.Put(d)
}

// decodeProblem is a decoding failure at a JSON pointer of the body.
type decodeProblem struct {
	pointer jsontext.Pointer
	msg     string
	err     error // the underlying cause, if any
}

func (e *decodeProblem) Error() string {
	at := string(e.pointer)
	if at == "" {
		at = "the body"
	}
	if e.err != nil {
		return at + ": " + e.msg + ": " + e.err.Error()
	}
	return at + ": " + e.msg
}

func (e *decodeProblem) Unwrap() error { return e.err }

// fail returns a decodeProblem at the value just read.
func (d *decoder) fail(msg string, err error) error {
	return &decodeProblem{pointer: d.dec.StackPointer(), msg: msg, err: err}
}

// charge adds n bytes to the allocation budget and fails when it is exceeded.
func (d *decoder) charge(n int64) error {
	d.used += n
	if d.used > maxAmplification*d.dec.InputOffset()+decodeSlack {
		return d.fail("refused", errAmplified)
	}
	return nil
}

// kindName names a JSON value's kind for error messages.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "nothing"
}

// open reads the start of an object: false (and no error) for null, an error for any other kind.
func (d *decoder) open() (bool, error) {
	tok, err := d.dec.ReadToken()
	switch {
	case err != nil:
		return false, err
	case tok.Kind() == '{':
		return true, nil
	case tok.Kind() == 'n':
		return false, nil
	}
	return false, d.fail("expected an object, found "+kindName(tok.Kind()), nil)
}

// more reports whether the object or array being read has another member or element.
func (d *decoder) more() bool {
	k := d.dec.PeekKind()
	return k != '}' && k != ']'
}

// close reads the end of an object or array.
func (d *decoder) close() error {
	_, err := d.dec.ReadToken()
	return err
}

// skip skips a value the models have no place for.
func (d *decoder) skip() error { return d.dec.SkipValue() }

// name reads an object member name, unquoted; it is valid until the next read.
func (d *decoder) name() ([]byte, error) {
	v, err := d.dec.ReadValue()
	if err != nil {
		return nil, err
	}
	return d.unquote(v), nil
}

// unquote returns the text of a JSON string read by ReadValue (so well-formed): the bytes between the quotes
// when they need no decoding, else a decoded copy in the scratch buffer, with invalid UTF-8 replaced by
// U+FFFD as encoding/json does.
func (d *decoder) unquote(v jsontext.Value) []byte {
	in := v[1 : len(v)-1]
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
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
		slot = &d.cache[internHash(b)%uint32(len(d.cache))]
		if *slot == string(b) {
			return *slot, nil
		}
	}
	s := string(b)
	if slot != nil {
		*slot = s
	}
	return s, d.charge(stringCost(len(b)))
}

// internHash hashes a string's fixed-size prefix and suffix (encoding/json/v2's string cache does the same).
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

// str decodes a JSON string into *p; null leaves *p unchanged. It reports whether a string was there.
func (d *decoder) str(p *string) (bool, error) {
	v, err := d.dec.ReadValue()
	if err != nil {
		return false, err
	}
	switch v.Kind() {
	case '"':
		*p, err = d.makeString(d.unquote(v))
		return true, err
	case 'n':
		return false, nil
	}
	return false, d.fail("expected a string, found "+kindName(v.Kind()), nil)
}

// time decodes a time with time.Time's UnmarshalJSON, as encoding/json does; null leaves *p unchanged.
func (d *decoder) time(p *time.Time) (bool, error) {
	v, err := d.dec.ReadValue()
	if err != nil {
		return false, err
	}
	if v.Kind() == 'n' {
		return false, nil
	}
	if err := p.UnmarshalJSON(v); err != nil {
		return false, d.fail("invalid time", err)
	}
	return true, nil
}

// strings decodes a JSON array of strings into *p: null sets nil, a null element is "".
func (d *decoder) strings(p *[]string) (bool, error) {
	tok, err := d.dec.ReadToken()
	switch {
	case err != nil:
		return false, err
	case tok.Kind() == 'n':
		*p = nil
		return false, nil
	case tok.Kind() != '[':
		return false, d.fail("expected an array, found "+kindName(tok.Kind()), nil)
	}
	out := (*p)[:0]
	if out == nil {
		out = []string{}
	}
	for d.more() {
		if len(out) == cap(out) {
			grown := append(out, "")[:len(out)]
			if err := d.charge(int64(cap(grown)) * int64(unsafe.Sizeof(""))); err != nil {
				return false, err
			}
			out = grown
		}
		var s string
		if _, err := d.str(&s); err != nil {
			return false, err
		}
		out = append(out, s)
	}
	*p = out
	return true, d.close()
}

// mapEntryCost is what one entry of a map with keys and values of these sizes may allocate, growth
// included: a slot and its control byte, at the 7/16 load of a table that has just doubled, twice (the
// tables outgrown on the way).
func mapEntryCost(keySize, valueSize uintptr) int64 {
	return int64(2 * (keySize + valueSize + 1) * 16 / 7)
}

// openMap reads the start of a JSON object decoded into a map: false for null (the caller sets the map to
// nil, as encoding/json does).
func (d *decoder) openMap() (bool, error) { return d.open() }

// key reads a map key and charges its entry (of an element of valueSize bytes).
func (d *decoder) key(valueSize uintptr) (string, error) {
	name, err := d.name()
	if err != nil {
		return "", err
	}
	if err := d.charge(mapEntryCost(unsafe.Sizeof(""), valueSize)); err != nil {
		return "", err
	}
	return d.makeString(name)
}

// stringMap decodes a JSON object of strings into *p (entries merge into an existing map).
func (d *decoder) stringMap(p *map[string]string) (bool, error) {
	if ok, err := d.openMap(); !ok {
		if err == nil {
			*p = nil
		}
		return false, err
	}
	if *p == nil {
		*p = map[string]string{}
	}
	for d.more() {
		k, err := d.key(unsafe.Sizeof(""))
		if err != nil {
			return false, err
		}
		var v string
		if _, err := d.str(&v); err != nil {
			return false, err
		}
		(*p)[k] = v
	}
	return true, d.close()
}

// stringsMap decodes a JSON object of string arrays into *p (entries merge into an existing map).
func (d *decoder) stringsMap(p *map[string][]string) (bool, error) {
	if ok, err := d.openMap(); !ok {
		if err == nil {
			*p = nil
		}
		return false, err
	}
	if *p == nil {
		*p = map[string][]string{}
	}
	for d.more() {
		k, err := d.key(unsafe.Sizeof([]string(nil)))
		if err != nil {
			return false, err
		}
		var v []string
		if _, err := d.strings(&v); err != nil {
			return false, err
		}
		(*p)[k] = v
	}
	return true, d.close()
}

// matchFold finds name among a struct's JSON names case-insensitively, as encoding/json does after an exact
// match failed (strings.EqualFold, '-' and '_' significant); -1 when none matches.
func matchFold(name []byte, names []string) int {
	s := unsafe.String(unsafe.SliceData(name), len(name)) // EqualFold does not keep it
	for i, n := range names {
		if strings.EqualFold(s, n) {
			return i
		}
	}
	return -1
}

// path is where an object sits in the body, built on the stack as the checks descend and turned into a
// JSON pointer only when a check fails. The root path is nil (the body itself), or has an index (a list's
// element) or an absolute pointer (a map entry, checked when it has been read).
type path struct {
	parent *path
	name   string           // the member name, or "" for an array index
	index  int              // the array index when name is ""
	abs    jsontext.Pointer // when set, the whole pointer of this path (parent is nil)
}

func (p *path) pointer() jsontext.Pointer {
	switch {
	case p == nil:
		return ""
	case p.abs != "":
		return p.abs
	case p.name == "":
		return p.parent.pointer().AppendToken(strconv.Itoa(p.index))
	}
	return p.parent.pointer().AppendToken(p.name)
}

// require checks that seen holds every bit of required; names are the object's JSON names by bit.
func require(seen, required uint64, names []string, at *path) error {
	missing := required &^ seen
	if missing == 0 {
		return nil
	}
	name := names[bits.TrailingZeros64(missing)]
	return &decodeProblem{pointer: at.pointer().AppendToken(name), msg: "the required property " + quoteName(name) + " is missing or null"}
}

// pending is a map entry that failed its checks; a later entry with the same key may replace it (each entry
// is decoded afresh, as encoding/json does), so it fails the body only if it is still there at the end.
type pending struct {
	at  jsontext.Pointer
	err error
}

// entryDone records how the map entry just read fared: a failure is pending, a success clears a pending
// failure of the same key.
func (d *decoder) entryDone(check func(at *path) error) {
	if check(nil) == nil {
		if len(d.pending) > 0 {
			at := d.dec.StackPointer()
			d.pending = slices.DeleteFunc(d.pending, func(p pending) bool { return p.at == at })
		}
		return
	}
	at := d.dec.StackPointer()
	d.pending = slices.DeleteFunc(d.pending, func(p pending) bool { return p.at == at })
	d.pending = append(d.pending, pending{at: at, err: check(&path{abs: at})})
}

// dropPending forgets the pending failures of the entries of the map just set to nil by a null.
func (d *decoder) dropPending() {
	if len(d.pending) > 0 {
		at := d.dec.StackPointer()
		d.pending = slices.DeleteFunc(d.pending, func(p pending) bool { return at.Contains(p.at) })
	}
}

// rootDone returns the first pending failure of the value just decoded, and forgets them.
func (d *decoder) rootDone() error {
	if len(d.pending) == 0 {
		return nil
	}
	err := d.pending[0].err
	d.pending = d.pending[:0]
	return err
}

// null reports a required object that is null (a list element, or the body itself).
func (d *decoder) null(what string) error {
	return d.fail("expected "+what+", found null", nil)
}

// nullEntry is the failure of a map entry whose value is null where an object is required.
func nullEntry(at *path) error {
	return &decodeProblem{pointer: at.pointer(), msg: "expected an object, found null"}
}

func quoteName(s string) string { return `"` + s + `"` }

// errNotJSON is the cause of a decode failure on a body that holds no JSON value at all.
var errNotJSON = errors.New("empty body")
