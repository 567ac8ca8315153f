package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// errTooLarge is the decode error for a success body longer than the configured limit.
var errTooLarge = errors.New("response body exceeds the limit (see WithMaxResponseBytes)")

// bodyReader reads a success body for the decoder: it enforces the size limit, records the first transport
// error (a connection that broke off mid-body is retried like a connection error, a malformed body is not),
// and keeps the first 64 KiB for DecodeError.Body.
type bodyReader struct {
	r       io.Reader
	left    int64 // bytes still allowed
	readErr error // the first error from r other than io.EOF
	head    *bytes.Buffer
}

var headPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func newBodyReader(r io.Reader, limit int64) *bodyReader {
	head := headPool.Get().(*bytes.Buffer)
	head.Reset()
	return &bodyReader{r: r, left: limit, head: head}
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
	if room := maxErrorBody - b.head.Len(); room > 0 {
		b.head.Write(p[:min(n, room)])
	}
	if err != nil && err != io.EOF && b.readErr == nil {
		b.readErr = err
	}
	return n, err
}

// headCopy returns the start of the body read so far.
func (b *bodyReader) headCopy() []byte { return bytes.Clone(b.head.Bytes()) }

// release returns the head buffer to the pool; b must not be used afterwards.
func (b *bodyReader) release() {
	if b.head.Cap() <= 2*maxErrorBody {
		headPool.Put(b.head)
	}
	b.head = nil
}

// decodeJSON decodes exactly one JSON value from r into v, streaming: the body is never held whole in memory.
// Trailing data after the value is an error.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		if err == io.EOF {
			return errors.New("empty body")
		}
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return errors.New("unexpected data after the JSON value")
		}
		return fmt.Errorf("after the JSON value: %w", err)
	}
	return nil
}

func decodeJSONBytes(data []byte, v any) error { return json.Unmarshal(data, v) }
