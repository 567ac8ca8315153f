package client

import (
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Server and transport text reaches error values and logs; these rules keep it from carrying the API key
// and from forging log lines. Each rule is written once, here.

// credentialHeaders carry credentials whatever their value: they are shown as [REDACTED] in logs and in
// APIError.Header.
var credentialHeaders = map[string]bool{
	"X-Api-Key": true, "Authorization": true, "Proxy-Authorization": true, "Cookie": true, "Set-Cookie": true,
}

// redactHeader returns a copy of h with the values of credential headers replaced by [REDACTED] and the key
// removed from every other value (a server or proxy may reflect it under another name).
func redactHeader(h http.Header, k apiKey) http.Header {
	out := make(http.Header, len(h))
	for name, values := range h {
		vs := make([]string, len(values))
		for i, v := range values {
			if credentialHeaders[http.CanonicalHeaderKey(name)] {
				vs[i] = redacted
			} else {
				vs[i] = k.redact(v)
			}
		}
		out[k.redact(name)] = vs
	}
	return out
}

// redactStrings removes the key from every string that v (a pointer) reaches: fields, elements, map keys and
// values, interface values. It is for problem documents, whose fields hold server text once decoded (a key
// the server escaped in its JSON is not in the raw body, but is in the decoded strings).
func redactStrings(v any, k apiKey) {
	if k == nil || k().value == "" {
		return
	}
	redactValue(reflect.ValueOf(v), k)
}

func redactValue(v reflect.Value, k apiKey) reflect.Value {
	switch v.Kind() {
	case reflect.String:
		if s := k.redact(v.String()); s != v.String() {
			if v.CanSet() {
				v.SetString(s)
				return v
			}
			return reflect.ValueOf(s).Convert(v.Type())
		}
	case reflect.Pointer:
		if !v.IsNil() {
			redactValue(v.Elem(), k)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				redactValue(f, k)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			redactValue(v.Index(i), k)
		}
	case reflect.Interface:
		if !v.IsNil() {
			inner := v.Elem()
			cp := reflect.New(inner.Type()).Elem()
			cp.Set(inner)
			if r := redactValue(cp, k); v.CanSet() {
				v.Set(r)
			}
		}
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		entries := v.MapRange()
		var keys, values []reflect.Value
		for entries.Next() {
			keys, values = append(keys, entries.Key()), append(values, entries.Value())
		}
		for i := range keys {
			val := reflect.New(values[i].Type()).Elem()
			val.Set(values[i])
			nk := redactValue(keys[i], k)
			v.SetMapIndex(keys[i], reflect.Value{})
			v.SetMapIndex(nk, redactValue(val, k))
		}
	}
	return v
}

// cleanCause returns err as an error cause may be kept in an error value: err itself, unless its message holds
// the key (a transport error quoting a URL or host a hostile redirect chose, say); then an error with the key
// removed from its message that still matches what err matches with errors.Is, but no longer gives err's
// values (which hold the key) to errors.As. The cause is kept only inside a function, which neither fmt nor
// reflection can look into.
func cleanCause(err error, k apiKey) error {
	if err == nil || !k.contains(err.Error()) {
		return err
	}
	return &redactedError{msg: k.redact(err.Error()), is: func(target error) bool { return errors.Is(err, target) }}
}

type redactedError struct {
	msg string
	is  func(target error) bool
}

func (e *redactedError) Error() string { return e.msg }

// Is makes errors.Is see through the redaction (context.DeadlineExceeded, net.ErrClosed, ECONNREFUSED …).
func (e *redactedError) Is(target error) bool { return e.is(target) }

// sanitize makes server text safe to print in one log line: control characters (C0 and C1, DEL), Unicode
// line and paragraph separators, bidirectional-text controls (which reorder what a terminal shows) and
// invalid UTF-8 are escaped Go-style (\n, \x1b, \u202e). Printable text, non-ASCII letters included, is
// unchanged.
func sanitize(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if unsafeRune(r, n) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x` + strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case unsafeRune(r, n):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafeRune reports a rune (of n bytes) that sanitize escapes.
func unsafeRune(r rune, n int) bool {
	switch {
	case r == utf8.RuneError && n == 1, r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == '\u2028', r == '\u2029', r == '\u061c', r == '\u200e', r == '\u200f':
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}
