package bench

import (
	"bytes"
	stdjson "encoding/json"
	"io"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/bench/internal/ampogen"
	"github.com/ampersand-sdk/ampersand-go/bench/internal/fixture"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
	"github.com/go-faster/jx"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	goccy "github.com/goccy/go-json"
)

// decoder decodes a listConnections body into the generated models.
type decoder struct {
	name   string
	decode func(r io.Reader) ([]client.Connection, error)
}

// streamV1 decodes element by element with encoding/json (Token, More, Decode).
func streamV1(r io.Reader) ([]client.Connection, error) {
	dec := stdjson.NewDecoder(r)
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var out []client.Connection
	for dec.More() {
		out = append(out, client.Connection{})
		if err := dec.Decode(&out[len(out)-1]); err != nil {
			return nil, err
		}
	}
	_, err := dec.Token()
	return out, err
}

// streamV2 decodes element by element with go-json-experiment (json/v2's module) and v1-compatible options.
func streamV2(r io.Reader) ([]client.Connection, error) {
	dec := jsontext.NewDecoder(r)
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	var out []client.Connection
	for dec.PeekKind() != ']' {
		out = append(out, client.Connection{})
		if err := jsonv2.UnmarshalDecode(dec, &out[len(out)-1]); err != nil {
			return nil, err
		}
	}
	_, err := dec.ReadToken()
	return out, err
}

var decoders = []decoder{
	{"v1-unmarshal", func(r io.Reader) ([]client.Connection, error) {
		b, _ := io.ReadAll(r)
		var out []client.Connection
		return out, stdjson.Unmarshal(b, &out)
	}},
	{"v1-decoder", func(r io.Reader) ([]client.Connection, error) {
		var out []client.Connection
		return out, stdjson.NewDecoder(r).Decode(&out)
	}},
	{"v1-stream", streamV1},
	{"v2exp-unmarshal", func(r io.Reader) ([]client.Connection, error) {
		b, _ := io.ReadAll(r)
		var out []client.Connection
		return out, jsonv2.Unmarshal(b, &out)
	}},
	{"v2exp-read", func(r io.Reader) ([]client.Connection, error) {
		var out []client.Connection
		return out, jsonv2.UnmarshalRead(r, &out)
	}},
	{"v2exp-stream", streamV2},
	{"goccy-unmarshal", func(r io.Reader) ([]client.Connection, error) {
		b, _ := io.ReadAll(r)
		var out []client.Connection
		return out, goccy.Unmarshal(b, &out)
	}},
	{"goccy-decoder", func(r io.Reader) ([]client.Connection, error) {
		var out []client.Connection
		return out, goccy.NewDecoder(r).Decode(&out)
	}},
}

func BenchmarkDecodeList10k(b *testing.B) {
	body := fixture.ListJSON(listSize)
	for _, d := range decoders {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				out, err := d.decode(bytes.NewReader(body))
				if err != nil || len(out) != listSize {
					b.Fatal(len(out), err)
				}
			}
		})
	}
	b.Run("ogen-jx", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var out ampogen.ListConnectionsOKApplicationJSON
			if err := out.Decode(jx.DecodeBytes(body)); err != nil || len(out) != listSize {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecodeList10kPeakHeap(b *testing.B) {
	body := fixture.ListJSON(listSize)
	for _, d := range decoders {
		b.Run(d.name, func(b *testing.B) {
			var worst float64
			for b.Loop() {
				peak := peakHeap(func() {
					if _, err := d.decode(bytes.NewReader(body)); err != nil {
						b.Fatal(err)
					}
				})
				worst = max(worst, float64(peak)/float64(len(body)))
			}
			b.ReportMetric(worst, "peak-heap/resp")
		})
	}
}
