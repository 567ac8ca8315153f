package client

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net/http"
	"reflect"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// What a body can cost is bounded: every allocation its decoding (decode.go) makes is charged to a budget of
// maxAmplification bytes per body byte read so far, plus decodeSlack — a body crafted to decode into much
// more memory than it occupies (tiny list elements, arrays of empty strings, maps of tiny entries, values that
// are all issues) fails instead of exhausting memory; and no JSON token may exceed maxTokenBytes (guard
// enforces it), which bounds what the streaming decoder buffers.

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

// decoder holds the state of one body's decoding. Decoders are pooled.
type decoder struct {
	dec     *jsontext.Decoder
	used    int64                             // bytes charged to the allocation budget
	strs    [256]string                       // interned short strings (as json v2 does): repeated IDs cost nothing
	scratch []byte                            // unquoting buffer
	in      guard                             // what dec reads
	rep     *report                           // where issues go
	maps    map[reflect.Type][2]reflect.Value // see mapping
}

var decoders = sync.Pool{New: func() any {
	return &decoder{dec: jsontext.NewDecoder(http.NoBody, tokenizer...), maps: map[reflect.Type][2]reflect.Value{}}
}}

// newDecoder returns a decoder reading r, which records issues in rep.
func newDecoder(r io.Reader, rep *report) *decoder {
	d := decoders.Get().(*decoder)
	d.in = guard{r: r, dec: d.dec}
	d.dec.Reset(&d.in, tokenizer...)
	d.used, d.rep = 0, rep
	return d
}

// release returns d to the pool; d must not be used afterwards.
func (d *decoder) release() {
	d.dec.Reset(http.NoBody, tokenizer...) // drop the body (jsontext refuses a nil reader; NoBody has no state)
	if cap(d.scratch) > 64<<10 {
		d.scratch = nil
	}
	d.rep, d.in = nil, guard{}
	decoders.Put(d)
}

// guard reads the body for the decoder, never more than tokenGuard ahead of what the decoder has consumed:
// the decoder buffers a JSON token whole, and one longer than maxTokenBytes fails before it is.
type guard struct {
	r    io.Reader
	dec  *jsontext.Decoder
	read int64 // bytes read so far
}

// tokenGuard is how far reading may run ahead of the decoder: one token of maxTokenBytes, plus a read buffer.
const tokenGuard = maxTokenBytes + 64<<10

func (g *guard) Read(p []byte) (int, error) {
	room := tokenGuard - (g.read - g.dec.InputOffset())
	if room <= 0 {
		return 0, errTokenTooLarge
	}
	n, err := g.r.Read(p[:min(int64(len(p)), room)])
	g.read += int64(n)
	return n, err
}

// decodeProblem is a decoding failure at a JSON pointer of the body.
type decodeProblem struct {
	pointer, msg string
	err          error // the underlying cause, if any
}

func (e *decodeProblem) Error() string {
	s := cmp.Or(e.pointer, "the body") + ": " + e.msg
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
func (d *decoder) start(want jsontext.Kind, what string) error {
	k := d.dec.PeekKind()
	if k == want && want == '{' {
		return nil
	}
	_, err := d.dec.ReadToken()
	switch {
	case err != nil && d.in.read == 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
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
	if len(b) > 256 {
		return string(b), d.charge(stringCost(len(b)))
	}
	slot := &d.strs[internHash(b)%uint32(len(d.strs))]
	if *slot != string(b) {
		*slot = string(b)
		return *slot, d.charge(stringCost(len(b)))
	}
	return *slot, nil
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

// tokenizer are the tokenizer's options: as with encoding/json, a name may repeat and invalid UTF-8 is read
// (and replaced, see unquote).
var tokenizer = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}
