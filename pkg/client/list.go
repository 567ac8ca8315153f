package client

import (
	"bufio"
	"io"
	"sync"
	"unsafe"
)

// bigBody is the body length from which a list is read through a 64 KiB buffer.
const bigBody = 64 << 10

var bigReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, bigBody) }}

// decodeList decodes a body that holds a JSON array of connections, element by element: the body is never
// held whole, and an element without a usable id is left out. length is the body's announced length (≤ 0:
// unknown), capped by the caller at the body limit; listBuilder sizes the slice from it.
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
		last, err := l.next()
		if err != nil {
			return err
		}
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

// next appends a zero element, making room for it, and returns it.
func (l *listBuilder) next() (*Connection, error) {
	if err := l.d.charge(connSize); err != nil {
		return nil, err
	}
	if len(l.list) == cap(l.list) {
		l.grow()
	}
	l.list = append(l.list, Connection{})
	l.n++
	return &l.list[len(l.list)-1], nil
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
			l.list, l.full, l.presized = l.joined(est), nil, true
			return
		}
	}
	l.full = append(l.full, l.list)
	l.list = make([]Connection, 0, listChunk)
}

// result returns the elements as one slice, joining the chunks when there are several.
func (l *listBuilder) result() ([]Connection, error) {
	switch {
	case l.list == nil:
		return []Connection{}, nil
	case len(l.full) == 0:
		return l.list, nil
	}
	if err := l.d.charge(int64(l.n) * connSize); err != nil {
		return nil, err
	}
	return l.joined(l.n), nil
}

// joined returns the chunks and l.list, in order, in a new slice of capacity n.
func (l *listBuilder) joined(n int) []Connection {
	out := make([]Connection, 0, n)
	for _, c := range l.full {
		out = append(out, c...)
	}
	return append(out, l.list...)
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

// decodeEach decodes a JSON array of connections, calling yield with each one as soon as it is decoded (an
// element without a usable id is left out; under WithStrictDecoding one with an issue ends it), and returns
// how many it yielded. When yield returns false it stops at once (the rest of the body is not read).
func decodeEach(r io.Reader, rep *report, yield func(*Connection) bool) (int, error) {
	br, done := buffered(r)
	defer done()
	d := newDecoder(br, rep)
	defer d.release()
	if err := d.start('[', "an array of connections"); err != nil {
		return 0, err
	}
	n := 0
	for d.more() {
		if err := d.charge(connSize); err != nil {
			return n, err
		}
		conn := new(Connection)
		if err := d.connection(conn); err != nil {
			return n, err
		}
		if err := rep.strictError(); err != nil {
			return n, err
		}
		if conn.ID == "" {
			continue
		}
		if b, ok := r.(*bodyReader); ok && b.alive() != nil { // the caller may have cancelled in the loop body
			return n, b.readErr
		}
		n++
		if !yield(conn) {
			return n, nil
		}
	}
	if err := d.close(); err != nil {
		return n, err
	}
	return n, d.end()
}
