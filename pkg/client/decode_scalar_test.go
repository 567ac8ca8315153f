package client

import (
	"encoding/json"
	"strings"
	"testing"
)

// scalarCase decodes in with dec and with encoding/json into a T that starts at start, and compares: the
// same value, and an error from both or neither.
func scalarCase[T comparable](t *testing.T, in string, start T, dec func(*decoder, *T) (bool, error)) {
	t.Helper()
	got, want := start, start
	d := newDecoder(strings.NewReader(in))
	defer d.release()
	_, err := dec(d, &got)
	wantErr := json.Unmarshal([]byte(in), &want)
	if (err != nil) != (wantErr != nil) || (err == nil && got != want) {
		t.Errorf("%T from %s: %v, %v; encoding/json: %v, %v", start, in, got, err, want, wantErr)
	}
}

// The boolean and number decoders, which decodergen uses for properties of those types, agree with
// encoding/json on values, nulls, ranges, fractions, exponents and wrong kinds.
func TestScalarDecodersMatchEncodingJSON(t *testing.T) {
	inputs := []string{"null", "true", "false", `"1"`, "[]", "{}", "0", "-0", "1", "-1", "42", "1.0", "1.5", "1e3",
		"-1E-2", "127", "128", "-128", "-129", "32767", "32768", "2147483647", "2147483648", "-2147483649",
		"9223372036854775807", "9223372036854775808", "-9223372036854775809", "3.4e38", "3.5e38", "1e308",
		"1e309", "-1e400", "5e-324", "1e-400", "0.1"}
	type myInt int
	for _, in := range inputs {
		scalarCase(t, in, true, (*decoder).boolean)
		scalarCase(t, in, int(7), integer[int])
		scalarCase(t, in, int8(7), integer[int8])
		scalarCase(t, in, int16(7), integer[int16])
		scalarCase(t, in, int32(7), integer[int32])
		scalarCase(t, in, int64(7), integer[int64])
		scalarCase(t, in, myInt(7), integer[myInt])
		scalarCase(t, in, float32(7), number[float32])
		scalarCase(t, in, float64(7), number[float64])
	}
}
