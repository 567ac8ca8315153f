package client

import (
	"bytes"
	"fmt"
	"strings"
)

// apiKey holds the API key so that it cannot be printed: it is a function, which fmt prints as an address
// whatever the verb and however deep (a pointer to a struct holding the key would be printed in full by a
// verb that does not fit it, %s of a struct copy say), and which reflection cannot look into. A *Client, a
// config copied by value and every error hold it this way. Its String, GoString and Format print
// [REDACTED].
type apiKey func() keyData

type keyData struct {
	value  string
	bytes  []byte   // value, for searching bodies
	header []string // []string{value}: shared, read-only, by every request's X-Api-Key header
}

const redacted = "[REDACTED]"

func newAPIKey(v string) apiKey {
	d := keyData{value: v, bytes: []byte(v), header: []string{v}}
	return func() keyData { return d }
}

func (apiKey) String() string                 { return redacted }
func (apiKey) GoString() string               { return redacted }
func (apiKey) Format(f fmt.State, _ rune)     { _, _ = f.Write([]byte(redacted)) }
func (k apiKey) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// redact removes the key from s. Error strings and logs are built from server and transport messages, which
// the SDK does not control; the key must never appear in them.
func (k apiKey) redact(s string) string {
	if !k.contains(s) {
		return s
	}
	return strings.ReplaceAll(s, k().value, redacted)
}

// redactBytes is redact for a body: it returns b itself when the key is not in it.
func (k apiKey) redactBytes(b []byte) []byte {
	if k == nil {
		return b
	}
	if kb := k().bytes; bytes.Contains(b, kb) {
		return bytes.ReplaceAll(b, kb, []byte(redacted))
	}
	return b
}

// contains reports whether s holds the key.
func (k apiKey) contains(s string) bool {
	return k != nil && k().value != "" && strings.Contains(s, k().value)
}
