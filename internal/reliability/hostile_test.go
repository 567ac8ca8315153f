package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// idClasses are hostile project and connection IDs. The SDK's documented decision: refuse "", ".", "..",
// ASCII control characters (0x00-0x1F, 0x7F) and invalid UTF-8 before any I/O; send everything else
// byte-exact as one path segment.
var idClasses = []struct {
	name    string
	id      string
	refused bool
}{
	{"slash", "a/b", false},
	{"leading and trailing slash", "/a/", false},
	{"question mark", "a?b=c", false},
	{"hash", "a#b", false},
	{"percent", "100%", false},
	{"percent-encoded text", "a%2Fb%3F%00", false},
	{"percent-encoded dot-dot", "%2E%2E", false},
	{"dot-dot inside", "a..b", false},
	{"dot-dot traversal", "../../admin", false},
	{"dot-dot with slash", "../", false},
	{"reserved sub-delims", "a+b;c=d&e:f@g,h$i!j'k(l)m*n[o]", false},
	{"a custom method's text", "x:oauth-update", false},
	{"a colon", "a:b", false},
	{"a trailing colon", "x:", false},
	{"a custom method after a slash", "x/:oauth-update", false},
	{"plus", "a+b", false},
	{"spaces", " a b ", false},
	{"non-ASCII", "café-Ω-日本-🔑", false},
	{"C1 control U+0085 (not ASCII)", "a\u0085b", false},
	{"10 KB", strings.Repeat("x", 10<<10), false},
	{"10 KB non-ASCII", strings.Repeat("é", 5<<10), false},
	{"empty", "", true},
	{"dot", ".", true},
	{"dot-dot", "..", true},
	{"NUL", "a\x00b", true},
	{"newline", "a\nb", true},
	{"carriage return", "a\rb", true},
	{"tab", "a\tb", true},
	{"DEL", "a\x7fb", true},
	{"invalid UTF-8", "a\xffb", true},
	{"truncated UTF-8", "caf\xc3", true},
}

// Every class, as project ID on every operation and as connection ID on get, update and delete, is either
// received by the server byte-exact as a single path segment, escaped as RFC 6570 simple expansion escapes
// (OpenAPI's path parameters), and routed to the operation it was sent to, or refused with a ValidationError
// before any request is made.
func TestHostileIDs(t *testing.T) {
	f := newFake(t, client.WithoutRetries())
	for _, class := range idClasses {
		for _, op := range operations {
			for _, asConn := range []bool{false, true} {
				if asConn && !op.hasConn {
					continue
				}
				proj, conn, field := class.id, f.seed.ID, "ProjectIDOrName"
				if asConn {
					proj, conn, field = project, class.id, "ConnectionID"
				} else if op.segment == "" {
					field = "Params.ProjectIDOrName" // the project is in the body
				}
				t.Run(class.name+"/"+op.name+"/"+field, func(t *testing.T) {
					f.srv.ResetRequests()
					_, err := op.call(context.Background(), f.c, proj, conn)
					reqs := f.srv.Requests()
					var ve *client.ValidationError
					if class.refused {
						if !errors.As(err, &ve) || ve.Field != field || len(reqs) != 0 {
							t.Fatalf("want a ValidationError for %s and no request; got %v and %d requests", field, err, len(reqs))
						}
						return
					}
					if errors.As(err, &ve) || len(reqs) != 1 {
						t.Fatalf("want one request; got %d (err: %v)", len(reqs), err)
					}
					if reqs[0].Operation != op.id {
						t.Errorf("the server routed the request to %q, want %q (path %s)", reqs[0].Operation, op.id, short(reqs[0].Path))
					}
					checkSegments(t, reqs[0].Path, proj, conn, op)
				})
			}
		}
	}
	if len(f.srv.Connections(project)) < 1 {
		t.Error("a hostile ID deleted the seeded connection")
	}
}

// checkSegments checks that the raw path is /v1/projects/{proj}/connections[/{conn}] (or
// .../connections:generate) with each ID one segment that unescapes to exactly the ID, and each ID escaped
// as RFC 6570 simple expansion does: every byte but the unreserved ones percent-encoded.
func checkSegments(t *testing.T, raw, proj, conn string, op operation) {
	t.Helper()
	seg := strings.Split(raw, "/")
	if op.segment == "" { // the project is in the body: nothing to check in the path
		return
	}
	want := []string{"", "v1", "projects", proj, op.segment}
	if op.hasConn {
		want = append(want, conn+op.suffix)
	}
	if len(seg) != len(want) {
		t.Fatalf("path %q has %d segments, want %d", short(raw), len(seg), len(want))
	}
	for i := range seg {
		got, err := url.PathUnescape(seg[i])
		if err != nil || got != want[i] {
			t.Errorf("segment %d of %q unescapes to %q (%v), want %q", i, short(raw), short(got), err, short(want[i]))
		}
	}
	if got, want := seg[3], rfc6570(proj); got != want {
		t.Errorf("the project ID was sent as %q, want %q", short(got), short(want))
	}
	if op.hasConn {
		if got, want := seg[5], rfc6570(conn)+op.suffix; got != want {
			t.Errorf("the connection ID was sent as %q, want %q", short(got), short(want))
		}
	}
}

// rfc6570 is RFC 6570's simple expansion of s: every byte but ALPHA, DIGIT, "-", ".", "_" and "~"
// percent-encoded (upper case).
func rfc6570(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// short abbreviates the 10 KB IDs in failure messages.
func short(s string) string {
	if len(s) > 200 {
		return s[:100] + "…" + s[len(s)-100:]
	}
	return s
}

// Bodies the SDK knows to be invalid are refused locally; the others are refused by the server (amptest
// validates against the spec) as an APIError whose problem names each issue.
func TestInvalidBodies(t *testing.T) {
	f := newFake(t)
	gp := func(edit func(*client.GenerateConnectionParams)) client.GenerateConnectionRequest {
		p := client.GenerateConnectionParams{Provider: "hubspot", GroupRef: "g", ConsumerRef: "c", APIKey: "k"}
		edit(&p)
		return client.GenerateConnectionRequest{ProjectIDOrName: project, Params: p}
	}
	up := func(mask []client.UpdateMaskField, conn client.ConnectionRequest) client.UpdateConnectionRequest {
		return client.UpdateConnectionRequest{ProjectIDOrName: project, ConnectionID: f.seed.ID,
			Params: client.UpdateConnectionParams{UpdateMask: mask, Connection: conn}}
	}
	generate := func(req client.GenerateConnectionRequest) func() error {
		return func() error { _, err := f.c.Connections.Generate(context.Background(), req); return err }
	}
	update := func(req client.UpdateConnectionRequest) func() error {
		return func() error { _, err := f.c.Connections.Update(context.Background(), req); return err }
	}
	basic := client.ConnectionRequest{BasicAuth: client.BasicAuth{Username: "u", Password: "p"}}
	cases := []struct {
		name string
		call func() error
		// field is the ValidationError's Field for a local refusal; issues are the server's issue names.
		field  string
		issues []string
	}{
		{"generate without provider", generate(gp(func(p *client.GenerateConnectionParams) { p.Provider = "" })), "Params.Provider", nil},
		{"generate without groupRef", generate(gp(func(p *client.GenerateConnectionParams) { p.GroupRef = "" })), "Params.GroupRef", nil},
		{"generate without consumerRef", generate(gp(func(p *client.GenerateConnectionParams) { p.ConsumerRef = "" })), "Params.ConsumerRef", nil},
		{"update with an empty mask", update(up(nil, basic)), "Params.UpdateMask", nil},
		{"update with an unknown mask", update(up([]client.UpdateMaskField{"bogus"}, basic)), "Params.UpdateMask[0]", nil},
		{"update mask naming an unset value", update(up([]client.UpdateMaskField{client.UpdateMaskFieldAPIKey}, basic)), "Params.Connection.apiKey", nil},
		{"generate with two credentials", generate(gp(func(p *client.GenerateConnectionParams) { p.BasicAuth = basic.BasicAuth })), "", []string{"apiKey", "basicAuth"}},
		{"update mask not matching the auth scheme", update(up([]client.UpdateMaskField{client.UpdateMaskFieldBasicAuth}, basic)), "", []string{"updateMask[0]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.srv.ResetRequests()
			err := tc.call()
			n := len(f.srv.Requests())
			if tc.field != "" {
				var ve *client.ValidationError
				if !errors.As(err, &ve) || ve.Field != tc.field || n != 0 {
					t.Fatalf("want a ValidationError on %s before any request; got %v, %d requests", tc.field, err, n)
				}
				return
			}
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Problem == nil || apiErr.Attempts != 1 || n != 1 {
				t.Fatalf("want one 400 APIError with a problem; got %v (%d requests)", err, n)
			}
			var names []string
			for _, is := range apiErr.Problem.Issues {
				names = append(names, is.Name)
			}
			slices.Sort(names)
			if !slices.Equal(names, tc.issues) {
				t.Errorf("issues %q, want %q", names, tc.issues)
			}
		})
	}
	stored, _ := f.srv.Connection(project, f.seed.ID)
	if n := len(f.srv.Connections(project)); n != seeds || stored.APIKey != "seed-credential" {
		t.Errorf("invalid bodies changed the state: %d connections, apiKey %q", n, stored.APIKey)
	}
}

// A Client that was not made by New is refused with a ValidationError, through its methods as through the
// standalone functions, without a panic.
func TestZeroClientIsRefused(t *testing.T) {
	for name, c := range map[string]*client.Client{"zero Client": new(client.Client), "nil Client": nil} {
		_, err := client.ConnectionsList(context.Background(), c, client.ListConnectionsRequest{ProjectIDOrName: "p"})
		if !errors.As(err, new(*client.ValidationError)) {
			t.Errorf("%s, standalone: err = %v", name, err)
		}
		if c == nil {
			continue
		}
		var v any
		if v = callRecovering(func() {
			_, err = c.Connections.List(context.Background(), client.ListConnectionsRequest{ProjectIDOrName: "p"})
		}); v != nil || !errors.As(err, new(*client.ValidationError)) {
			t.Errorf("%s, method: err = %v, panic %v", name, err, v)
		}
	}
}
