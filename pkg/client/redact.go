package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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

// redactProblem returns p with the key removed from every string it holds (fields, elements, map keys and
// values), also when the server escaped it in its JSON (then it is not in the raw body, but it is in the
// decoded strings): p's JSON form escapes the key as it escapes the text around it, so the key is replaced
// there, and the result decoded again. A problem that does not survive the round trip is dropped.
func redactProblem(p *Problem, k apiKey) *Problem {
	data, err := json.Marshal(p)
	if err != nil || k == nil || k().value == "" {
		return p
	}
	quoted, _ := json.Marshal(k().value)
	if key := quoted[1 : len(quoted)-1]; bytes.Contains(data, key) {
		var clean Problem
		if json.Unmarshal(bytes.ReplaceAll(data, key, []byte(redacted)), &clean) != nil {
			return nil
		}
		return &clean
	}
	return p
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
