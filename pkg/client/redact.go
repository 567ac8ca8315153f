package client

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode"
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

// sanitize makes server text safe to print in one log line: every rune that is not graphic (control
// characters C0 and C1 and DEL, line and paragraph separators, bidirectional-text controls, which reorder
// what a terminal shows, and other format characters) and invalid UTF-8 are escaped Go-style (\n, \x1b,
// \u202e). Printable text, spaces and non-ASCII letters included, is unchanged.
func sanitize(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool { return r != ' ' && !unicode.IsGraphic(r) }
