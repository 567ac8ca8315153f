package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"time"
)

// errTooLarge is the decode error for a success body longer than the configured limit.
var errTooLarge = errors.New("response body exceeds the limit (see WithMaxResponseBytes)")

// bodyReader reads a success body for the decoder: it enforces the size limit, records the first transport
// error (a connection that broke off mid-body is retried like a connection error, a malformed body is not),
// and keeps the first 64 KiB for DecodeError.Body. Readers are pooled: a call allocates none.
type bodyReader struct {
	r       io.Reader
	left    int64 // bytes still allowed
	readErr error // the first error from r other than io.EOF
	head    bytes.Buffer
	ctx     context.Context // the attempt's: see alive
}

var bodyReaders = sync.Pool{New: func() any { return new(bodyReader) }}

func newBodyReader(r io.Reader, limit int64) *bodyReader {
	b := bodyReaders.Get().(*bodyReader)
	b.r, b.left, b.readErr, b.ctx = r, limit, nil, nil
	b.head.Reset()
	return b
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.left <= 0 { // one byte more is one too many
		var one [1]byte
		n, err := b.r.Read(one[:])
		switch {
		case n > 0:
			return 0, errTooLarge
		case err == nil:
			return 0, io.EOF // nothing more right now; the decoder has all it may read
		case err != io.EOF:
			b.readErr = err
		}
		return 0, err
	}
	p = p[:min(int64(len(p)), b.left)]
	n, err := b.r.Read(p)
	b.left -= int64(n)
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
		for b.head.Len() < maxErrorBody && b.left > 0 { // Read keeps the head
			if _, err := b.Read(buf[:min(len(buf), maxErrorBody-b.head.Len())]); err != nil {
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
	if b.readErr == nil {
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
