package bench

import (
	"bytes"
	stdjson "encoding/json"
	"io"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/bench/internal/fixture"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// presizedV2 streams elements into a slice sized from contentLength and the first elements' size.
func presizedV2(r io.Reader, contentLength int64, opts ...jsonv2.Options) ([]client.Connection, error) {
	dec := jsontext.NewDecoder(r, opts...)
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	const probe = 16
	out := make([]client.Connection, 0, probe)
	for dec.PeekKind() != ']' {
		if len(out) == probe && cap(out) == probe && contentLength > 0 {
			per := dec.InputOffset() / probe
			est := int(contentLength/max(per, 1)) + 1
			grown := make([]client.Connection, probe, est+est/16+probe)
			copy(grown, out)
			out = grown
		}
		out = append(out, client.Connection{})
		if err := jsonv2.UnmarshalDecode(dec, &out[len(out)-1], opts...); err != nil {
			return nil, err
		}
	}
	_, err := dec.ReadToken()
	return out, err
}

func presizedV1(r io.Reader, contentLength int64) ([]client.Connection, error) {
	dec := stdjson.NewDecoder(r)
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	const probe = 16
	out := make([]client.Connection, 0, probe)
	for dec.More() {
		if len(out) == probe && cap(out) == probe && contentLength > 0 {
			per := dec.InputOffset() / probe
			est := int(contentLength/max(per, 1)) + 1
			grown := make([]client.Connection, probe, est+est/16+probe)
			copy(grown, out)
			out = grown
		}
		out = append(out, client.Connection{})
		if err := dec.Decode(&out[len(out)-1]); err != nil {
			return nil, err
		}
	}
	_, err := dec.Token()
	return out, err
}

func BenchmarkPresized(b *testing.B) {
	body := fixture.ListJSON(listSize)
	v1opts := jsonv1.DefaultOptionsV1()
	// The v1 options that change json v2's results for these models (encoding/json's semantics, selected).
	sel := jsonv2.JoinOptions(jsonv2.MatchCaseInsensitiveNames(true), jsonv1.MatchCaseSensitiveDelimiter(true),
		jsonv1.MergeWithLegacySemantics(true), jsonv1.ParseTimeWithLooseRFC3339(true),
		jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	for name, f := range map[string]func(io.Reader, int64) ([]client.Connection, error){
		"v1": presizedV1, "v2exp": func(r io.Reader, n int64) ([]client.Connection, error) { return presizedV2(r, n) },
		"v2exp-v1opts":  func(r io.Reader, n int64) ([]client.Connection, error) { return presizedV2(r, n, v1opts) },
		"v2exp-selopts": func(r io.Reader, n int64) ([]client.Connection, error) { return presizedV2(r, n, sel) },
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				out, err := f(bytes.NewReader(body), int64(len(body)))
				if err != nil || len(out) != listSize {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"-peak", func(b *testing.B) {
			var worst float64
			for b.Loop() {
				peak := peakHeap(func() {
					if _, err := f(bytes.NewReader(body), int64(len(body))); err != nil {
						b.Fatal(err)
					}
				})
				worst = max(worst, float64(peak)/float64(len(body)))
			}
			b.ReportMetric(worst, "peak-heap/resp")
		})
	}
}
