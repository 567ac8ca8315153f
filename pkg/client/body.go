package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"sync"
	"time"
	"unsafe"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/ampersand-sdk/ampersand-go/gen"
)

// v1Semantics are the options that give encoding/json's results with github.com/go-json-experiment/json:
// the tokenizer of the success bodies (decoder.go) and the decoding of problem documents use them.
var v1Semantics = jsonv2.JoinOptions(
	jsonv2.MatchCaseInsensitiveNames(true),
	jsonv1.MatchCaseSensitiveDelimiter(true),
	jsonv1.MergeWithLegacySemantics(true),
	jsonv1.ParseTimeWithLooseRFC3339(true),
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
)

// errTooLarge is the decode error for a success body longer than the configured limit.
var errTooLarge = errors.New("response body exceeds the limit (see WithMaxResponseBytes)")

// bodyReader reads a success body for the decoder: it enforces the size limit, records the first transport
// error (a connection that broke off mid-body is retried like a connection error, a malformed body is not),
// and keeps the first 64 KiB for DecodeError.Body. Readers are pooled: a call allocates none.
type bodyReader struct {
	r       io.Reader
	left    int64 // bytes still allowed
	read    int64 // bytes read so far
	readErr error // the first error from r other than io.EOF
	head    bytes.Buffer
	ctx     context.Context // the attempt's: see alive
}

var bodyReaders = sync.Pool{New: func() any { return new(bodyReader) }}

func newBodyReader(r io.Reader, limit int64) *bodyReader {
	b := bodyReaders.Get().(*bodyReader)
	b.r, b.left, b.read, b.readErr, b.ctx = r, limit, 0, nil, nil
	b.head.Reset()
	return b
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			return 0, errTooLarge
		}
		if err != nil && err != io.EOF {
			b.readErr = err
		}
		if err == nil {
			err = io.EOF // nothing more right now; the decoder has all it may read
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	b.read += int64(n)
	if room := maxErrorBody - b.head.Len(); room > 0 {
		b.head.Write(p[:min(n, room)])
	}
	if err != nil && err != io.EOF && b.readErr == nil {
		b.readErr = err
	}
	return n, err
}

// headCopy returns the start of the body for a DecodeError: what was read, and what more arrives within
// tailWait, up to 64 KiB (or the body or its limit ends) — so that DecodeError.Body shows the body, not just
// the part the decoder had reached when it failed, without waiting on a server that trickles the rest: when
// tailWait has passed, stop (the attempt context's cancel) cuts the read.
func (b *bodyReader) headCopy(stop func()) []byte {
	if b.readErr == nil {
		defer time.AfterFunc(tailWait, stop).Stop()
		var buf [4096]byte
		for b.head.Len() < maxErrorBody && b.left > 0 {
			n, err := b.r.Read(buf[:min(len(buf), maxErrorBody-b.head.Len(), int(min(b.left, int64(len(buf)))))])
			b.head.Write(buf[:n])
			b.left -= int64(n)
			if err != nil {
				break
			}
		}
	}
	return bytes.Clone(b.head.Bytes())
}

// tailWait is how long a DecodeError waits for more of the body (see headCopy).
const tailWait = 50 * time.Millisecond

// alive returns nil while the attempt's context lasts; once it has ended, its error, recorded as a read error
// so that the attempt ends as a read the context cut would. All asks before each connection it yields: those
// already buffered need no read that the context could cut.
func (b *bodyReader) alive() error {
	if b.readErr == nil && b.ctx != nil {
		b.readErr = b.ctx.Err()
	}
	return b.readErr
}

// release returns b to the pool; b must not be used afterwards.
func (b *bodyReader) release() {
	b.r, b.ctx = nil, nil
	if b.head.Cap() <= 2*maxErrorBody {
		bodyReaders.Put(b)
	}
}

// bigBody is the body length from which a list is read through a 64 KiB buffer.
const bigBody = 64 << 10

var bigReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, bigBody) }}

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

// decodeList decodes a body that holds a JSON array of connections, element by element: the body is never
// held whole, and an element without a usable id is left out. length is the body's announced length (≤ 0:
// unknown), capped by the caller at the body limit; the slice is sized from it once the first elements show
// how long a connection is, as far as the allocation budget allows (a false length cannot make the client
// reserve memory the body does not pay for), and grows in steps otherwise.
func decodeList(r io.Reader, length int64, rep *report, out *[]Connection) error {
	if length <= 0 || length > bigBody {
		var done func()
		r, done = buffered(r)
		defer done()
	}
	d := newDecoder(r, rep)
	defer d.release()
	if err := d.start('[', "an array of connections"); err != nil {
		return err
	}
	l := listBuilder{d: d, length: length}
	for d.more() {
		if err := l.next(); err != nil {
			return err
		}
		last := &l.list[len(l.list)-1]
		if err := d.connection(last); err != nil {
			return err
		}
		if last.ID == "" {
			*last = Connection{}
			l.list = l.list[:len(l.list)-1] // left out; its memory stays charged
		}
	}
	if err := d.close(); err != nil {
		return err
	}
	var err error
	if *out, err = l.result(); err != nil {
		return err
	}
	return d.end()
}

// buffered returns r behind a pooled 64 KiB buffer, and the function that returns the buffer to the pool.
// The streaming decoder refills a few KiB at a time; a big buffer in front of the body turns the thousands
// of small reads of a large list into a few large ones.
func buffered(r io.Reader) (io.Reader, func()) {
	br := bigReaders.Get().(*bufio.Reader)
	br.Reset(r)
	return br, func() { br.Reset(nil); bigReaders.Put(br) }
}

// listBuilder collects a list's elements under the decoder's allocation budget. Every element is charged
// its size when it is appended; the capacity reserved ahead of the elements (a slice sized from the
// announced length) is bounded by listReserve, plus half of what the budget has to spare — so a false
// length cannot make the client reserve memory the body does not pay for.
type listBuilder struct {
	d        *decoder
	length   int64          // the announced body length, or ≤ 0
	list     []Connection   // the slice being filled
	full     [][]Connection // filled chunks, before the slice is sized or once its estimate is exceeded
	n        int            // elements read so far, kept or left out
	presized bool           // the slice was sized from the length (once only)
}

const (
	probe       = 16              // elements decoded before the slice is sized from the length
	listChunk   = 1024            // the size of a chunk when the length is unknown (about 700 KB)
	listReserve = decodeSlack / 2 // capacity a list may reserve ahead of its elements
	connSize    = int64(unsafe.Sizeof(Connection{}))
	minConnJSON = 200 // less than the JSON of the smallest valid connection (its required properties alone)
)

// next makes room for one more element and appends a zero one.
func (l *listBuilder) next() error {
	if err := l.d.charge(connSize); err != nil {
		return err
	}
	if len(l.list) == cap(l.list) {
		l.grow()
	}
	l.list = append(l.list, Connection{})
	l.n++
	return nil
}

// grow makes room in l.list: the first time, for the probe; then, once the estimate from the announced
// length can be reserved, for all of it (the elements so far are copied over, and charged again); else a
// new chunk. A chunk keeps what is decoded where it is: growing one slice would copy it again and again.
func (l *listBuilder) grow() {
	if l.list == nil {
		l.list = make([]Connection, 0, probe)
		return
	}
	offset := l.d.dec.InputOffset()
	if est := presize(l.length, offset/int64(l.n)); !l.presized && est > l.n {
		reserve := int64(est-l.n) * connSize
		if spare := max(maxAmplification*offset+decodeSlack-l.d.used, 0); reserve <= listReserve+spare/2 {
			l.d.used += int64(l.n) * connSize // the copies
			grown := make([]Connection, 0, est)
			for _, c := range l.full {
				grown = append(grown, c...)
			}
			l.list, l.full, l.presized = append(grown, l.list...), nil, true
			return
		}
	}
	l.full = append(l.full, l.list)
	l.list = make([]Connection, 0, listChunk)
}

// result returns the elements as one slice, joining the chunks when there are several.
func (l *listBuilder) result() ([]Connection, error) {
	if len(l.full) == 0 {
		if l.list == nil {
			return []Connection{}, nil
		}
		return l.list, nil
	}
	if err := l.d.charge(int64(l.n) * connSize); err != nil {
		return nil, err
	}
	out := make([]Connection, 0, l.n)
	for _, c := range l.full {
		out = append(out, c...)
	}
	return append(out, l.list...), nil
}

// presize returns the capacity to give a list whose body is length bytes long (≤ 0: unknown) and whose
// first elements took per bytes each: the estimated count plus 1/16, or 0 when the length cannot be trusted.
func presize(length, per int64) int {
	if length <= 0 || per < minConnJSON {
		return 0
	}
	est := length / per
	return int(est + est/16)
}

// bodyOf returns r as the body reader of a success body, if it is one.
func bodyOf(r io.Reader) (*bodyReader, bool) {
	br, ok := r.(*bodyReader)
	return br, ok
}

// decodeJSONBytes decodes a problem document as encoding/json would.
func decodeJSONBytes(data []byte, v any) error { return jsonv2.Unmarshal(data, v, v1Semantics) }
