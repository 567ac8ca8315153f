package client

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unsafe"
)

// DecodeIssue is one repair made to a success body that did not match its schema. Such a body is decoded
// tolerantly by default: a property that is absent, null or of another type than the schema's keeps its zero
// value (a nested object that cannot be read keeps its zero value, its siblings survive; an array element
// keeps its place) and the call succeeds; an enum value the SDK does not know (a new auth scheme) is kept as
// received. Each repair is a DecodeIssue, never silent:
//
//   - Call.DecodeIssues holds a call's issues when its CallEnd hooks run (WithHooks, for the client or one
//     call);
//   - the client's logger (WithLogger) writes one WARN line per call that had issues, with their count and
//     the first pointer;
//   - package ampotel records them on the call's span;
//   - under WithStrictDecoding any issue fails the call with a *DecodeError that carries them.
//
// Identity is not repaired: a list element without a usable id (absent, null, not a string, empty) is not a
// connection, so List and All leave it out and report it (one issue at its id, or at the element when it is
// not an object); a reply of one connection without a usable id is a *DecodeError. Unknown properties are
// not issues. What is not JSON of the right overall shape (malformed JSON, an object where a list is due, a
// null body, a body over its limit or one that would take too much memory to decode) is a *DecodeError in
// any mode.
type DecodeIssue struct {
	Operation string          // the operationId, e.g. "listConnections"
	Pointer   string          // the JSON pointer (RFC 6901) of the value in the body, e.g. "/3/providerApp/scopes/0"
	Kind      DecodeIssueKind // what was wrong
	// Raw is the value as received, cut to its first 256 bytes, the API key [REDACTED]; "" for a missing
	// property.
	Raw string
}

// String reads like `/3/providerApp/scopes/0: wrong type: ["a","b"]`.
func (i DecodeIssue) String() string {
	s := i.Pointer + ": " + string(i.Kind)
	if i.Raw != "" && i.Kind != DecodeIssueNull {
		s += ": " + i.Raw
	}
	return sanitize(s)
}

// DecodeIssueKind says what was wrong with a value of a success body (see DecodeIssue).
type DecodeIssueKind string

// The kinds of DecodeIssue.
const (
	DecodeIssueMissing   DecodeIssueKind = "missing"    // a property the schema requires is absent
	DecodeIssueNull      DecodeIssueKind = "null"       // null where the schema allows none
	DecodeIssueWrongType DecodeIssueKind = "wrong type" // e.g. an array where the schema has a string
	// DecodeIssueInvalid is a value of the right JSON type that the schema refuses: an enum value not in the
	// schema (kept as received), a string that is not a date-time, a number out of range, an empty id.
	DecodeIssueInvalid DecodeIssueKind = "invalid"
)

// WithStrictDecoding makes any DecodeIssue of a success body fail the call with a *DecodeError that carries
// the issues (in DecodeError.Issues): for contract tests and CI jobs against the real API. All then stops at
// the first connection with an issue, before yielding it. Given to New, for every call; to a call, for it.
func WithStrictDecoding() Option {
	return func(c *config) error {
		c.strict = true
		return nil
	}
}

// maxIssueRaw is how much of a value DecodeIssue.Raw keeps.
const maxIssueRaw = 256

// report collects the issues of one attempt's success body.
type report struct {
	op     string
	key    apiKey
	strict bool // WithStrictDecoding
	issues []DecodeIssue
}

// strictError is the error of a strict call with issues, else nil.
func (rep *report) strictError() error {
	if !rep.strict || len(rep.issues) == 0 {
		return nil
	}
	return &decodeProblem{pointer: rep.issues[0].Pointer, msg: fmt.Sprintf("%s (%d DecodeIssues in all; WithStrictDecoding makes them errors)",
		rep.issues[0].Kind, len(rep.issues))}
}

// issue records an issue at the value just read, with its raw JSON, and charges it.
func (d *decoder) issue(kind DecodeIssueKind, raw []byte) error {
	return d.record(string(d.dec.StackPointer()), kind, raw)
}

// missing records the absence of the required property name of the object just read.
func (d *decoder) missing(name string) error {
	return d.record(string(d.dec.StackPointer().AppendToken(name)), DecodeIssueMissing, nil)
}

// record records an issue at pointer ptr, its raw value cut to maxIssueRaw bytes and both without the key.
func (d *decoder) record(ptr string, kind DecodeIssueKind, raw []byte) error {
	ptr = d.rep.key.redact(ptr)
	val := d.rep.key.redact(string(raw[:min(len(raw), maxIssueRaw+maxIssueRaw/2)])) // "" for no raw value
	if len(val) > maxIssueRaw {
		val = strings.ToValidUTF8(val[:maxIssueRaw], "")
	}
	if len(d.rep.issues) == cap(d.rep.issues) { // doubling: append grows large slices by a quarter, which costs more
		d.rep.issues = append(make([]DecodeIssue, 0, max(8, 2*cap(d.rep.issues))), d.rep.issues...)
	}
	d.rep.issues = append(d.rep.issues, DecodeIssue{Operation: d.rep.op, Pointer: ptr, Kind: kind, Raw: val})
	// The issue in a slice that doubles (all its sizes add up to at most four issues per issue), its strings,
	// and the pointer's building.
	return d.charge(4*int64(unsafe.Sizeof(DecodeIssue{})) + 96 + 4*stringCost(len(ptr)) + stringCost(len(val)))
}

// logIssues writes the WARN line of a call that had issues: their count, and the pointer and kind of the
// first — not its raw value, which may hold a credential.
func (cfg *config) logIssues(ctx context.Context, op string, issues []DecodeIssue) {
	if len(issues) == 0 || cfg.logger == nil || !cfg.logger.Enabled(ctx, slog.LevelWarn) {
		return
	}
	cfg.logger.LogAttrs(ctx, slog.LevelWarn, "ampersand reply repaired: it does not match the schema",
		slog.String("operation", op), slog.Int("issues", len(issues)),
		slog.String("first", issues[0].Pointer), slog.String("kind", string(issues[0].Kind)))
}
