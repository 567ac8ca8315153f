package client

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"unsafe"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// Success bodies are decoded with github.com/go-json-experiment/json — the module behind Go's coming
// encoding/json/v2 — with exactly the options that give encoding/json's results for the generated models:
// names matched case-insensitively but with '-' and '_' significant, v1's merge and null semantics, v1's
// time parsing, duplicate names and invalid UTF-8 accepted. The fuzz targets check this against
// json.Unmarshal. The rest of v1 mode (jsonv1.DefaultOptionsV1) cannot change what these models decode to
// (no methods but time.Time's, no ",string" tags, arrays, bytes or durations) and costs about 20%: it decodes
// time.Time by calling its UnmarshalJSON method. BENCHMARKS.md records why this decoder was chosen.
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
}

var bodyReaders = sync.Pool{New: func() any { return new(bodyReader) }}

func newBodyReader(r io.Reader, limit int64) *bodyReader {
	b := bodyReaders.Get().(*bodyReader)
	b.r, b.left, b.read, b.readErr = r, limit, 0, nil
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

// headCopy returns the start of the body read so far.
func (b *bodyReader) headCopy() []byte { return bytes.Clone(b.head.Bytes()) }

// release returns b to the pool; b must not be used afterwards.
func (b *bodyReader) release() {
	b.r = nil
	if b.head.Cap() <= 2*maxErrorBody {
		bodyReaders.Put(b)
	}
}

// decodeJSON decodes exactly one JSON value from r into v; trailing data after it is an error. A list of
// connections is decoded element by element, so its body is never held whole; any other value (one
// connection, about a kilobyte) is buffered by the decoder as it goes.
func decodeJSON(r io.Reader, v any) error { return decodeBody(r, v, -1) }

// decodeBody is decodeJSON with the body's length, when known (else -1): a list is then decoded into a slice
// sized once from the length, instead of one grown by copying.
func decodeBody(r io.Reader, v any, length int64) error {
	if list, ok := v.(*[]Connection); ok {
		// The streaming decoder refills a few KiB at a time; a big buffer in front of the body turns the
		// thousands of small reads of a large list into a few large ones.
		if length < 0 || length > bigBody {
			br := bigReaders.Get().(*bufio.Reader)
			br.Reset(r)
			defer func() { br.Reset(nil); bigReaders.Put(br) }()
			r = br
		}
		return decodeList(r, list, length)
	}
	err := jsonv2.UnmarshalRead(r, v, v1Semantics)
	if err == io.ErrUnexpectedEOF || errors.Is(err, io.EOF) {
		if br, ok := r.(*bodyReader); ok && br.read == 0 {
			return errors.New("empty body")
		}
	}
	return err
}

// bigBody is the body length from which a list is read through a 64 KiB buffer.
const bigBody = 64 << 10

var bigReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// decodeList decodes a JSON array of connections element by element. After the first elements it estimates
// how many the body holds from its length and their size, and allocates the slice once with a little room:
// a growing slice of 700-byte structs would otherwise copy them repeatedly and hold several times the
// body's size in memory at its peak. length is trusted only so far: the caller caps it at the body limit,
// the estimate is made only when the first elements look like real connections (at least minConnJSON
// bytes each), and the slice never reserves more than twice length in bytes.
func decodeList(r io.Reader, out *[]Connection, length int64) error {
	dec := jsontext.NewDecoder(r, v1Semantics)
	tok, err := dec.ReadToken()
	switch {
	case err == io.EOF:
		return errors.New("empty body")
	case err != nil:
		return err
	case tok.Kind() == 'n':
		*out = nil
		return expectEOF(dec)
	case tok.Kind() != '[':
		return fmt.Errorf("expected a JSON array, found %v", tok.Kind())
	}
	const probe = 16
	list := make([]Connection, 0, probe)
	var full [][]Connection // filled chunks, when the length is unknown
	for dec.PeekKind() != ']' {
		if len(list) == cap(list) {
			switch n := presize(length, dec.InputOffset()/probe); {
			case len(list) == probe && full == nil && n > probe:
				grown := make([]Connection, probe, n)
				copy(grown, list)
				list = grown
			default:
				// Unknown (or exceeded) length: keep what is decoded where it is and start a new chunk; the
				// chunks are joined once at the end. Growing one slice would copy it again and again.
				full = append(full, list)
				list = make([]Connection, 0, listChunk)
			}
		}
		list = append(list, Connection{})
		if err := jsonv2.UnmarshalDecode(dec, &list[len(list)-1], v1Semantics); err != nil {
			return err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	*out = join(full, list)
	return expectEOF(dec)
}

// listChunk is the number of connections in one chunk of a list of unknown length (about 700 KB).
const listChunk = 1024

// join returns the chunks and last as one slice, copying only when there is more than one.
func join(chunks [][]Connection, last []Connection) []Connection {
	if len(chunks) == 0 {
		return last
	}
	n := len(last)
	for _, c := range chunks {
		n += len(c)
	}
	out := make([]Connection, 0, n)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, last...)
}

// minConnJSON is less than the JSON of the smallest valid connection (its required fields alone).
const minConnJSON = 200

// presize returns the capacity to give a list whose body is length bytes long (≤ 0: unknown) and whose
// first elements took per bytes each: the estimated count plus 1/16, or 0 to let the slice grow as it goes.
func presize(length, per int64) int {
	if length <= 0 || per < minConnJSON {
		return 0
	}
	est := length / per
	est += est / 16
	// Never reserve more than twice length in bytes: enough for connections of 350 JSON bytes or more, and a
	// bound on what a server announcing a false length (at most the body limit) can make the client reserve.
	if byBytes := 2 * length / int64(unsafe.Sizeof(Connection{})); est > byBytes {
		est = byBytes
	}
	return int(est)
}

// expectEOF reports trailing data after the value.
func expectEOF(dec *jsontext.Decoder) error {
	switch _, err := dec.ReadToken(); {
	case err == io.EOF:
		return nil
	case err == nil:
		return errors.New("unexpected data after the JSON value")
	default:
		return fmt.Errorf("after the JSON value: %w", err)
	}
}

func decodeJSONBytes(data []byte, v any) error { return jsonv2.Unmarshal(data, v, v1Semantics) }
