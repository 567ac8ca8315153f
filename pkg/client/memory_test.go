// The race detector slows decoding tenfold and adds allocations of its own: these measurements run without
// it (make test-all runs them in a separate go test without -race: make alloc-test).

//go:build !race

package client

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// The memory bound of decoding (decoder.go): a success body of B bytes allocates at most
// maxAmplification·B + decodeSlack, whatever an attacker puts in it. Each body below is crafted to turn few
// bytes into much memory; each is about 24 MiB, so that the bound's constant is small beside it. The test
// measures what decoding really allocates (runtime.MemStats.TotalAlloc), not what the decoder charged.

// boundSlack covers what the measurement itself allocates (the reader, the test's own bookkeeping).
const boundSlack = 256 << 10

// minimalConn is a connection with its required properties only, all strings empty: the smallest JSON the
// decoder accepts as a connection (about 270 bytes for a 696-byte struct).
const minimalConn = `{"id":"i","projectId":"","provider":"","authScheme":"","status":"","createTime":"2024-01-01T00:00:00Z",` +
	`"group":{"groupRef":"","groupName":"","projectId":"","createTime":"2024-01-01T00:00:00Z"},` +
	`"consumer":{"consumerRef":"","consumerName":"","projectId":"","createTime":"2024-01-01T00:00:00Z"}`

// repeatTo repeats unit (with sep between) until the body reaches size bytes, between prefix and suffix.
func repeatTo(prefix, unit, sep, suffix string, size int) []byte {
	n := max((size-len(prefix)-len(suffix))/(len(unit)+len(sep)), 1)
	return []byte(prefix + strings.Repeat(unit+sep, n-1) + unit + suffix)
}

// withIndex makes each copy of unit distinct (map keys must differ): %d is replaced by a counter.
func withIndex(prefix, unit, sep, suffix string, size int) []byte {
	var b bytes.Buffer
	b.WriteString(prefix)
	for i := 0; b.Len() < size-len(suffix)-len(unit)-16; i++ {
		if i > 0 {
			b.WriteString(sep)
		}
		fmt.Fprintf(&b, unit, i)
	}
	b.WriteString(suffix)
	return b.Bytes()
}

type hostileBody struct {
	name string
	list bool // decoded as a list (else as one connection)
	body []byte
}

func hostileBodies() []hostileBody {
	const size = 24 << 20
	conn := minimalConn
	return []hostileBody{
		{"tiny elements [{},{},…]", true, repeatTo("[", "{}", ",", "]", size)},
		{"minimal valid connections", true, repeatTo("[", conn+"}", ",", "]", size)},
		{"endless string in a connection", false, repeatTo(`{"id":"`, "a", "", `"}`, size)},
		{"endless string in a list", true, repeatTo(`[{"id":"`, "a", "", `"}]`, size)},
		{"deep nesting in an unknown member", false, repeatTo(`{"x":`, "[", "", "", size)},
		{"many unknown members", false, withIndex("{", `"k%d":0`, ",", "}", size)},
		{"a repeated member, distinct values", false, withIndex(conn+",", `"id":"v%d"`, ",", "}", size)},
		{"an array of empty strings", false, repeatTo(conn+`,"oauth2AuthorizationCode":{"scopes":[`, `""`, ",", "]}}", size)},
		{"an array of 2-byte strings", false, repeatTo(conn+`,"oauth2AuthorizationCode":{"scopes":[`, `"ab"`, ",", "]}}", size)},
		{"a map of tiny entries", false, withIndex(conn+`,"providerMetadata":{`, `"%d":{"value":"","source":""}`, ",", "}}", size)},
		{"a map of empty strings", false, withIndex(conn+`,"providerApp":{"id":"","projectId":"","provider":"","clientId":"",`+
			`"createTime":"2024-01-01T00:00:00Z","metadata":{"providerParams":{`, `"%d":""`, ",", "}}}}", size)},
		{"a map of empty arrays", false, withIndex(conn+`,"providerApp":{"id":"","projectId":"","provider":"","clientId":"",`+
			`"createTime":"2024-01-01T00:00:00Z","metadata":{"authQueryParams":{`, `"%d":[]`, ",", "}}}}", size)},
		{"deep nesting of long names", false, withIndex(`{"x":`, `{"%0256d":`, "", "", size)},
		{"an array of numbers where strings are due (an issue each)", false, repeatTo(conn+`,"oauth2AuthorizationCode":{"scopes":[`, `1`, ",", "]}}", size)},
		{"elements without an id, left out", true, repeatTo("[", `{"id":null}`, ",", "]", size)},
		{"elements that are not objects, left out", true, repeatTo("[", `1`, ",", "]", size)},
		{"one connection", false, []byte(minimalConn + "}")},
	}
}

// allocatedBy returns the bytes f allocates.
func allocatedBy(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The bound holds in both modes: tolerant (issues are charged) and strict.
func TestDecodingMemoryIsBounded(t *testing.T) {
	worst := 0.0
	for _, hb := range hostileBodies() {
		for _, mode := range []struct{ known, strict bool }{{true, false}, {false, false}, {true, true}, {false, true}} {
			known := mode.known
			if known && !hb.list {
				continue // only a list is sized from the announced length
			}
			var err error
			length := int64(-1)
			if known {
				length = int64(len(hb.body))
			}
			r := newBodyReader(bytes.NewReader(hb.body), DefaultMaxListResponseBytes)
			rep := &report{strict: mode.strict}
			got := allocatedBy(func() {
				if hb.list {
					var out []Connection
					err = decodeList(r, length, rep, &out)
				} else {
					err = decodeConnectionBody(r, rep, new(Connection))
				}
			})
			r.release()
			b := uint64(len(hb.body))
			bound := maxAmplification*b + decodeSlack
			ratio := float64(got) / float64(b)
			worst = max(worst, ratio)
			name := hb.name
			if known {
				name += " (length known)"
			}
			if mode.strict {
				name += " (strict)"
			}
			t.Logf("%-70s %5.1f MiB: %6.1f MiB allocated, %.2f bytes per byte; %v", name, mib(b), mib(got), ratio, brief(err))
			if got > bound+boundSlack {
				t.Errorf("%s: %d bytes allocated for a %d-byte body, over the bound %d", name, got, b, bound)
			}
		}
	}
	t.Logf("worst: %.2f bytes allocated per body byte (bound: %d per byte + %d MiB)", worst, maxAmplification, decodeSlack>>20)
}

// A hostile body fails with a clear reason; a legitimate body of the same size decodes.
func TestDecodingBudgetRefusesOnlyAmplifiers(t *testing.T) {
	valid := strings.NewReplacer(`"id":"i"`, `"id":"5f1c2a3b-8d4e-4f60-9a1b-000000000000"`, `"authScheme":""`, `"authScheme":"apiKey"`,
		`"status":""`, `"status":"working"`).Replace(minimalConn)
	real := repeatTo("[", valid+
		`,"providerWorkspaceRef":"acme.my.salesforce.com","updateTime":"2024-04-22T18:55:28.456076Z"}`, ",", "]", 24<<20)
	for _, length := range []int64{-1, int64(len(real))} {
		var out []Connection
		if err := decodeList(bytes.NewReader(real), length, &report{}, &out); err != nil || len(out) < 50_000 {
			t.Fatalf("a list of %d realistic connections (length %d): %v", len(out), length, err)
		}
	}
	var out []Connection
	err := decodeList(bytes.NewReader(repeatTo("[", minimalConn+"}", ",", "]", 24<<20)), -1, &report{}, &out)
	if !errors.Is(err, errAmplified) {
		t.Fatalf("a list of minimal connections of unknown length: err = %v, want the budget's refusal", err)
	}
}

// The token guard: a string longer than maxTokenBytes fails, at once, whatever the limit.
func TestTokenGuard(t *testing.T) {
	body := repeatTo(`{"id":"`, "a", "", `"}`, 3*maxTokenBytes)
	for name, r := range map[string]io.Reader{"whole": bytes.NewReader(body), "one byte per read": iotest.OneByteReader(bytes.NewReader(body))} {
		src := &countingReader{r: r}
		br := newBodyReader(src, 1<<30)
		err := decodeConnectionBody(br, &report{}, new(Connection))
		if !errors.Is(err, errTokenTooLarge) || src.n > tokenGuard+int64(len(`{"id":`)) {
			t.Errorf("%s: err = %v after %d bytes, want errTokenTooLarge within %d", name, err, src.n, tokenGuard)
		}
		br.release()
	}
}

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

func brief(err error) string {
	if err == nil {
		return "decoded"
	}
	s := err.Error()
	if len(s) > 90 {
		s = s[:90] + "…"
	}
	return s
}
