package client

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ampersand-sdk/ampersand-go/internal/spec"
)

// descriptions are the operations pkg/client implements, as described in connections.go and connect.go.
var descriptions = []*operation{
	&listConnections.operation, &generateConnection.operation, &getConnection.operation,
	&updateConnection.operation, &deleteConnection.operation,
	&oauthConnect.operation, &oauthUpdate.operation, &customAuthConnect.operation,
}

// Each description agrees with the spec: its method and route, and an Accept header that lists exactly the
// media types of the operation's replies (success first, then problems), so that a server that negotiates
// content never answers 406 (oauthConnect answers text/plain, not JSON).
func TestOperationsMatchTheSpec(t *testing.T) {
	doc, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*operation{}
	for _, op := range descriptions {
		byID[op.id] = op
	}
	for path, item := range doc.Paths.Map() {
		for method, sop := range item.Operations() {
			op, ok := byID[sop.OperationID]
			if !ok {
				t.Errorf("%s %s: the spec's operation %s has no description in pkg/client", method, path, sop.OperationID)
				continue
			}
			delete(byID, sop.OperationID)
			if op.method != method || op.route != path {
				t.Errorf("%s: described as %s %s, the spec says %s %s", op.id, op.method, op.route, method, path)
			}
			if want := acceptOf(sop); len(op.accept) != 1 || op.accept[0] != want {
				t.Errorf("%s: Accept %q, want %q (the media types of its replies in the spec)", op.id, op.accept, want)
			}
		}
	}
	for id := range byID {
		t.Errorf("%s is described in pkg/client but not in the spec", id)
	}
}

// acceptOf lists the media types of op's replies: those of its 2xx replies, then the others'.
func acceptOf(op *openapi3.Operation) string {
	var success, other []string
	for code, r := range op.Responses.Map() {
		for mt := range r.Value.Content {
			if strings.HasPrefix(code, "2") {
				success = append(success, mt)
			} else {
				other = append(other, mt)
			}
		}
	}
	slices.Sort(success)
	slices.Sort(other)
	return strings.Join(slices.Compact(append(success, other...)), ", ")
}

// Every path parameter is expanded as RFC 6570 simple expansion does (OpenAPI's style for path parameters):
// every byte but the unreserved ones is percent-encoded, so that ":" in an ID can never be read as the
// ":oauth-update" of a route, and the decoded path stays what gen built.
func TestEscapePath(t *testing.T) {
	const route = "/projects/{projectIdOrName}/connections/{connectionId}:oauth-update"
	cases := []struct{ project, conn, want string }{
		{"p", "c-1_2.3~", "/v1/projects/p/connections/c-1_2.3~:oauth-update"},
		{"p", "x:oauth-update", "/v1/projects/p/connections/x%3Aoauth-update:oauth-update"},
		{"a/b?c#d", "100% +&=@$,;!'()*[]", "/v1/projects/a%2Fb%3Fc%23d/connections/100%25%20%2B%26%3D%40%24%2C%3B%21%27%28%29%2A%5B%5D:oauth-update"},
		{"café", "日", "/v1/projects/caf%C3%A9/connections/%E6%97%A5:oauth-update"},
	}
	for _, tc := range cases {
		req, err := oauthUpdate.build("http://127.0.0.1:1/v1/", &OAuthUpdateRequest{ProjectIDOrName: tc.project, ConnectionID: tc.conn})
		if err != nil {
			t.Fatal(err)
		}
		plain := req.URL.Path
		if err := escapePath(req.URL, route, []string{tc.project, tc.conn}); err != nil {
			t.Fatal(err)
		}
		if got := req.URL.EscapedPath(); got != tc.want {
			t.Errorf("%q, %q: sent as %s, want %s", tc.project, tc.conn, got, tc.want)
		}
		if req.URL.Path != plain {
			t.Errorf("%q, %q: the decoded path changed from %q to %q", tc.project, tc.conn, plain, req.URL.Path)
		}
	}
	// A route and values that do not fit what gen built are an error, never a wrong path.
	u := &url.URL{Path: "/v1/projects/p/connections"}
	if err := escapePath(u, "/projects/{projectIdOrName}/connections/{connectionId}", []string{"a b"}); err == nil {
		t.Errorf("a route with more parameters than values: no error (RawPath %q)", u.RawPath)
	}
	if err := escapePath(u, "/projects/{projectIdOrName}/connections", []string{"a b"}); err == nil {
		t.Errorf("values that are not those of the path: no error (RawPath %q)", u.RawPath)
	}
}
