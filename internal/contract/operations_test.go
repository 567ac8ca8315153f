package contract

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ampersand-sdk/ampersand-go/api"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// sent records the requests of a client and answers each with 418, so that no network is involved.
type sent struct{ reqs []*http.Request }

func (s *sent) middleware(req *http.Request, _ client.MiddlewareNext) (*http.Response, error) {
	s.reqs = append(s.reqs, req)
	return &http.Response{StatusCode: http.StatusTeapot, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

// eachOperation calls every operation of pkg/client once with the IDs given, keyed by operationId.
func eachOperation(project, conn string) map[string]func(context.Context, *client.Client) {
	refs := client.OAuthConnectParams{ProjectIDOrName: project, Provider: "salesforce", GroupRef: "g", ConsumerRef: "u"}
	return map[string]func(context.Context, *client.Client){
		"listConnections": func(ctx context.Context, c *client.Client) {
			c.Connections.List(ctx, client.ListConnectionsRequest{ProjectIDOrName: project, Provider: "salesforce"})
		},
		"generateConnection": func(ctx context.Context, c *client.Client) {
			c.Connections.Generate(ctx, client.GenerateConnectionRequest{ProjectIDOrName: project,
				Params: client.GenerateConnectionParams{Provider: "salesforce", GroupRef: "g", ConsumerRef: "u"}})
		},
		"getConnection": func(ctx context.Context, c *client.Client) {
			c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: project, ConnectionID: conn, IncludeCreds: true})
		},
		"updateConnection": func(ctx context.Context, c *client.Client) {
			c.Connections.Update(ctx, client.UpdateConnectionRequest{ProjectIDOrName: project, ConnectionID: conn,
				Params: client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{"providerWorkspaceRef"},
					Connection: client.ConnectionRequest{ProviderWorkspaceRef: "w"}}})
		},
		"deleteConnection": func(ctx context.Context, c *client.Client) {
			c.Connections.Delete(ctx, client.DeleteConnectionRequest{ProjectIDOrName: project, ConnectionID: conn})
		},
		"oauthConnect": func(ctx context.Context, c *client.Client) {
			c.OAuth.Connect(ctx, client.OAuthConnectRequest{Params: refs})
		},
		"oauthUpdate": func(ctx context.Context, c *client.Client) {
			c.OAuth.Update(ctx, client.OAuthUpdateRequest{ProjectIDOrName: project, ConnectionID: conn})
		},
		"customAuthConnect": func(ctx context.Context, c *client.Client) {
			c.Connections.CustomAuthConnect(ctx, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
				ProjectIDOrName: project, Provider: "salesforce", GroupRef: "g", ConsumerRef: "u"}})
		},
	}
}

// Every operation of api/openapi.yaml has an SDK call, and that call's request has the operation's method
// and route, and an Accept header listing exactly the media types of the operation's replies (success
// first, then problems), so that a server that negotiates content never answers 406 (oauthConnect answers
// text/plain, not JSON). Path parameters are expanded as RFC 6570 simple expansion does (OpenAPI's style):
// every byte but the unreserved ones is percent-encoded, so ":" in an ID is never read as ":oauth-update".
func TestEachOperationSendsWhatTheSpecSays(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML())
	if err != nil {
		t.Fatal(err)
	}
	for _, ids := range [][3]string{
		{"p", "c-1_2.3~", "c-1_2.3~"},
		{"p", "x:oauth-update", "x%3Aoauth-update"},
		{"p", "100% +&=@$,;!'()*[]/?#", "100%25%20%2B%26%3D%40%24%2C%3B%21%27%28%29%2A%5B%5D%2F%3F%23"},
		{"p", "日", "%E6%97%A5"},
	} {
		calls := eachOperation(ids[0], ids[1])
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				run, ok := calls[op.OperationID]
				if !ok {
					t.Errorf("%s %s: the spec's operation %s has no SDK call in this test (or the SDK has none)", method, path, op.OperationID)
					continue
				}
				rec := &sent{}
				c, err := client.New(client.WithAPIKey("k"), client.WithServerURL("http://127.0.0.1:1/v1"), client.WithoutRetries(),
					client.WithMiddleware(rec.middleware))
				if err != nil {
					t.Fatal(err)
				}
				run(context.Background(), c)
				if len(rec.reqs) != 1 {
					t.Fatalf("%s: %d requests sent", op.OperationID, len(rec.reqs))
				}
				req := rec.reqs[0]
				want := "/v1" + strings.NewReplacer("{projectIdOrName}", ids[0], "{connectionId}", ids[2]).Replace(path)
				if req.Method != method || req.URL.EscapedPath() != want {
					t.Errorf("%s with connection %q: sent %s %s, want %s %s", op.OperationID, ids[1], req.Method, req.URL.EscapedPath(), method, want)
				}
				if got, want := req.Header.Values("Accept"), acceptOf(op); len(got) != 1 || got[0] != want {
					t.Errorf("%s: Accept %q, want %q (the media types of its replies in the spec)", op.OperationID, got, want)
				}
			}
		}
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
