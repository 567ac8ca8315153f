package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// Exit codes of amp, one per class of outcome. They are documented in `amp --help` and the package comment.
const (
	exitOK        = 0 // success
	exitFailure   = 1 // any other failure: interrupted, output not written, the fake server could not listen
	exitUsage     = 2 // bad flags, arguments or input files, missing key, *client.ValidationError
	exitAPIClient = 3 // *client.APIError with a 4xx status
	exitAPIServer = 4 // *client.APIError 5xx, *client.ConnectionError, *client.DecodeError, timeouts
)

// usageError is a mistake in how amp was called, found by amp itself (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usageErrorf returns a *usageError with a formatted message.
func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// runError marks an error returned by a command's own function (see runE). An error without it comes from
// cobra's parsing of the command line, and is a usage error.
type runError struct{ err error }

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

// exitCode returns the exit code for err, returned by a command's function.
func exitCode(err error) int {
	var (
		usage   *usageError
		invalid *client.ValidationError
		apiErr  *client.APIError
		connErr *client.ConnectionError
		decErr  *client.DecodeError
	)
	switch {
	case errors.As(err, &usage), errors.As(err, &invalid):
		return exitUsage
	case errors.Is(err, context.Canceled): // interrupted, even when an earlier attempt had failed
		return exitFailure
	case errors.As(err, &apiErr):
		if apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 {
			return exitAPIClient
		}
		return exitAPIServer
	case errors.As(err, &connErr), errors.As(err, &decErr), errors.Is(err, context.DeadlineExceeded):
		return exitAPIServer
	}
	return exitFailure
}

// fail prints err on stderr, in full for API errors, and returns the exit code. cmd is the command that ran
// (or failed to parse).
func (a *app) fail(cmd *cobra.Command, err error) int {
	code := exitUsage
	var re *runError
	if errors.As(err, &re) {
		err, code = re.err, exitCode(re.err)
	}
	var b strings.Builder
	if line := a.noReplyLine(err); line != "" {
		b.WriteString(line)
	} else {
		describeError(&b, err)
		b.WriteString(a.v1Hint(err))
	}
	if code == exitUsage && cmd != nil {
		fmt.Fprintf(&b, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	fmt.Fprint(a.stderr, a.redact(b.String()))
	return code
}

// describeError writes a human description of err: for an *client.APIError, the problem's title, detail,
// remedy, issues and the request ID; for the SDK's other errors, their message.
func describeError(b *strings.Builder, err error) {
	var (
		apiErr  *client.APIError
		invalid *client.ValidationError
	)
	switch {
	case errors.As(err, &invalid):
		fmt.Fprintf(b, "amp: invalid %s: %s\n", clean(invalid.Field), clean(invalid.Reason))
	case errors.Is(err, context.Canceled):
		b.WriteString("amp: interrupted\n")
	case errors.As(err, &apiErr):
		describeAPIError(b, apiErr)
	default:
		// *client.ConnectionError, *client.DecodeError, usage and other errors: their message says it all.
		fmt.Fprintf(b, "amp: %s\n", clean(strings.TrimPrefix(err.Error(), "ampersand: ")))
	}
}

// describeAPIError writes the status of a non-2xx reply and, one per line, what its problem document says.
func describeAPIError(b *strings.Builder, e *client.APIError) {
	fmt.Fprintf(b, "amp: %s: %d %s\n", clean(e.Operation), e.StatusCode, http.StatusText(e.StatusCode))
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(b, "  %-11s %s\n", name+":", clean(value))
		}
	}
	if p := e.Problem; p != nil {
		field("Title", p.Title)
		field("Detail", p.Detail)
		field("Remedy", p.Remedy)
		if len(p.Issues) > 0 {
			b.WriteString("  Issues:\n")
			for _, is := range p.Issues {
				where := strings.TrimSpace(string(is.In) + " " + is.Name)
				detail := is.Detail
				if detail == "" {
					detail = is.Title
				}
				switch {
				case where == "":
					fmt.Fprintf(b, "    - %s\n", clean(detail))
				case detail == "":
					fmt.Fprintf(b, "    - %s\n", clean(where))
				default:
					fmt.Fprintf(b, "    - %s: %s\n", clean(where), clean(detail))
				}
			}
		}
	} else if body := strings.Join(strings.Fields(string(e.Body)), " "); body != "" {
		field("Body", truncate(body, 200))
	}
	field("Request ID", e.RequestID())
	if e.Attempts > 1 {
		field("Attempts", fmt.Sprint(e.Attempts))
	}
}

// redact replaces the Ampersand API key, wherever it appears, with [REDACTED].
func (a *app) redact(s string) string {
	if a.apiKey == "" {
		return s
	}
	return strings.ReplaceAll(s, a.apiKey, "[REDACTED]")
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// clean makes a string that came from the server or the user safe to print on a terminal and in a table
// cell: control characters (escape sequences, tabs, line breaks), bidirectional overrides and invalid UTF-8
// are shown as Go escapes, such as \x1b or \n.
func clean(s string) string {
	safe := func(r rune) bool {
		return r != utf8.RuneError && !unicode.IsControl(r) && !unicode.Is(unicode.Bidi_Control, r)
	}
	if !strings.ContainsFunc(s, func(r rune) bool { return !safe(r) }) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case safe(r) || r == utf8.RuneError: // a real U+FFFD is printable
			b.WriteRune(r)
		default:
			q := fmt.Sprintf("%+q", r) // '\x1b', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}
