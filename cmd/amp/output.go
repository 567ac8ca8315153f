package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// outputFormat is the value of -o.
type outputFormat string

// The output formats.
const (
	formatTable outputFormat = "table" // aligned columns, for people
	formatJSON  outputFormat = "json"  // the API's JSON, for programs
	formatJSONL outputFormat = "jsonl" // one compact JSON object per line: list streams, in constant memory
)

// format returns the output format: -o when given, else table when stdout is a terminal and JSON otherwise.
func (a *app) format() outputFormat {
	if a.output != "" {
		return outputFormat(a.output) // checked by checkGlobalFlags
	}
	if isTerminal(a.stdout) {
		return formatTable
	}
	return formatJSON
}

// isTerminal reports whether w is a character device (a terminal), as opposed to a pipe, a file or a
// buffer.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// printConnections prints a list of connections: a table, or a JSON array. List replies carry no
// credentials; should one ever do, its values are masked.
func (a *app) printConnections(conns []client.Connection) error {
	masked := make([]client.Connection, len(conns))
	for i, c := range conns {
		masked[i] = maskConnection(c)
	}
	conns = masked
	if a.format() == formatJSON {
		return writeJSON(a.stdout, conns)
	}
	return writeTable(a.stdout, conns)
}

// printConnection prints one connection. Its credentials, when the reply has any, are masked unless
// showSecrets; in a table they follow the connection as a second table.
func (a *app) printConnection(c *client.Connection, showSecrets bool) error {
	shown := *c
	if !showSecrets {
		shown = maskConnection(shown)
	}
	switch a.format() {
	case formatJSON:
		return writeJSON(a.stdout, shown)
	case formatJSONL:
		return writeJSONLine(a.stdout, shown)
	}
	if err := writeTable(a.stdout, []client.Connection{shown}); err != nil {
		return err
	}
	return writeCredentials(a.stdout, &shown)
}

// writeJSON writes v as indented JSON and a newline.
// writeJSONLine writes v as one line of compact JSON.
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// connectionColumns are the columns of the connections table.
var connectionColumns = []string{"ID", "PROVIDER", "GROUP", "CONSUMER", "WORKSPACE", "AUTH SCHEME", "STATUS", "CREATED"}

// writeTable writes conns as aligned columns with a header line (and only the header when there are none).
func writeTable(w io.Writer, conns []client.Connection) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writeRow(tw, connectionColumns...)
	for _, c := range conns {
		writeRow(tw, c.ID, c.Provider, c.Group.GroupRef, c.Consumer.ConsumerRef, c.ProviderWorkspaceRef, string(c.AuthScheme), string(c.Status),
			formatTime(c.CreateTime))
	}
	return tw.Flush()
}

// writeCredentials writes the credentials that c carries, if any, as a blank line and a second table.
func writeCredentials(w io.Writer, c *client.Connection) error {
	code := c.OAuth2AuthorizationCode
	if c.APIKey == "" && code.AccessToken.Token == "" && code.RefreshToken.Token == "" && len(code.Scopes) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writeRow(tw, "CREDENTIAL", "VALUE", "ISSUED", "EXPIRES")
	if c.APIKey != "" {
		writeRow(tw, "apiKey", c.APIKey, "", "")
	}
	for _, t := range []struct {
		name  string
		token client.OAuth2Token
	}{{"accessToken", code.AccessToken}, {"refreshToken", code.RefreshToken}} {
		if t.token.Token != "" {
			writeRow(tw, t.name, t.token.Token, formatTime(t.token.IssuedAt), formatTime(t.token.ExpiresAt))
		}
	}
	if len(code.Scopes) > 0 {
		writeRow(tw, "scopes", strings.Join(code.Scopes, ","), "", "")
	}
	return tw.Flush()
}

// writeRow writes one table row. Cells are cleaned (a tab or line break in a value would break the
// columns, an escape sequence would reach the terminal) and an empty cell is shown as "-", so that every
// row has as many fields as the header for tools like awk.
func writeRow(tw *tabwriter.Writer, cells ...string) {
	for i, cell := range cells {
		if cell == "" {
			cell = "-"
		}
		if i > 0 {
			tw.Write([]byte{'\t'})
		}
		io.WriteString(tw, clean(cell))
	}
	tw.Write([]byte{'\n'})
}

// formatTime formats t in UTC to the second, or "" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// revealMinLength is the shortest secret whose first characters maskSecret shows: revealing 4 characters of
// a short secret would give away too much of it.
const revealMinLength = 12

// maskSecret hides a credential value: its first 4 characters and "…" (only "…" for a short value), or ""
// for "".
func maskSecret(s string) string {
	if s == "" {
		return ""
	}
	r := []rune(s)
	if len(r) < revealMinLength {
		return "…"
	}
	return string(r[:4]) + "…"
}

// maskConnection returns c with its credential values (apiKey, OAuth2 access and refresh tokens) masked.
func maskConnection(c client.Connection) client.Connection {
	c.APIKey = maskSecret(c.APIKey)
	c.OAuth2AuthorizationCode.AccessToken.Token = maskSecret(c.OAuth2AuthorizationCode.AccessToken.Token)
	c.OAuth2AuthorizationCode.RefreshToken.Token = maskSecret(c.OAuth2AuthorizationCode.RefreshToken.Token)
	return c
}
