package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// The replies of the stand-in API below: examples from api/openapi.yaml.
const (
	exampleID   = "5f1c2a3b-8d4e-4f60-9a1b-2c3d4e5f6a7b"
	exampleConn = `{"id":"` + exampleID + `","projectId":"a1b2c3d4-e5f6-4789-a012-3456789abcde",
		"provider":"salesforce","providerWorkspaceRef":"acme.my.salesforce.com","authScheme":"oauth2/authorizationCode",
		"status":"working","createTime":"2024-03-01T09:00:00.123456Z",
		"group":{"groupRef":"group-123","groupName":"Acme Corp","projectId":"a1b2c3d4-e5f6-4789-a012-3456789abcde","createTime":"2024-03-01T09:00:00Z"},
		"consumer":{"consumerRef":"consumer-123","consumerName":"Jane Doe","projectId":"a1b2c3d4-e5f6-4789-a012-3456789abcde","createTime":"2024-03-01T09:00:00Z"},
		"oauth2AuthorizationCode":{"accessToken":{"token":"00D4x0000019CQT!AQ4AQFakeAccessTokenValue"},"scopes":["api","refresh_token"]}}`
	exampleNotFound = `{"type":"about:blank","title":"Not Found","status":404,"detail":"connection ` + exampleID +
		` not found","requestId":"89eb1ffb-2a54-4105-aaae-7bf990f1aa69#87717","retryable":false}`
	exampleUnavailable = `{"type":"about:blank","title":"Service Unavailable","status":503,
		"detail":"the connection store is temporarily unavailable","retryable":true}`
	exampleOAuthURL = "https://login.salesforce.com/services/oauth2/authorize?client_id=xxx&state=xxx"
	exampleRedirect = `{"redirect":{"sessionId":"7f3c1e2a-9b0d-4a1f-8c2e-1d2f3a4b5c6d",
		"url":"https://login.microsoftonline.com/common/adminconsent?client_id=xxx"}}`
)

// newExampleClient returns a client for a stand-in of the API: a local server that answers each operation
// with an example reply of api/openapi.yaml, after unavailable 503s. With the real API you would write
// client.New() (the key from AMPERSAND_API_KEY). To test your own code, use pkg/amptest, the spec-validated
// fake, which keeps state and plays the consent pages too (see its examples).
func newExampleClient(unavailable int, opts ...client.Option) (*client.Client, func()) {
	var mu sync.Mutex
	deleted := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		reply := func(status int, mediaType, body string) {
			w.Header().Set("Content-Type", mediaType)
			w.WriteHeader(status)
			io.WriteString(w, body)
		}
		path := r.URL.Path
		switch {
		case unavailable > 0:
			unavailable--
			reply(503, "application/problem+json", exampleUnavailable)
		case strings.HasSuffix(path, "/oauth-connect"), strings.HasSuffix(path, ":oauth-update"):
			reply(200, "text/plain", exampleOAuthURL)
		case strings.HasSuffix(path, "/custom-auth/connect") && !strings.Contains(string(body), "sessionId"):
			reply(200, "application/json", exampleRedirect)
		case strings.HasSuffix(path, "/custom-auth/connect"):
			reply(200, "application/json", `{"connection":`+exampleConn+`}`)
		case strings.HasSuffix(path, "/connections"):
			reply(200, "application/json", "["+exampleConn+"]")
		case strings.HasSuffix(path, ":generate"):
			reply(201, "application/json", exampleConn)
		case deleted || !strings.HasSuffix(path, "/"+exampleID):
			reply(404, "application/problem+json", exampleNotFound)
		case r.Method == http.MethodDelete:
			deleted = true
			w.WriteHeader(http.StatusNoContent)
		default:
			reply(200, "application/json", exampleConn)
		}
	}))
	c, err := client.New(append([]client.Option{client.WithServerURL(srv.URL + "/v1"), client.WithAPIKey("my-api-key")}, opts...)...)
	if err != nil {
		log.Fatal(err)
	}
	return c, srv.Close
}

func ExampleNew() {
	// The API key comes from AMPERSAND_API_KEY unless given; every option can also be given to one call.
	c, err := client.New(
		client.WithAPIKey("my-api-key"),
		client.WithTimeout(30*time.Second),
	)
	if err != nil {
		log.Fatal(err)
	}
	_ = c
	// Output:
}

func ExampleConnectionsService_List() {
	c, stop := newExampleClient(0)
	defer stop()

	conns, err := c.Connections.List(context.Background(), client.ListConnectionsRequest{
		ProjectIDOrName: "my-project",
		Provider:        "salesforce", // optional filters; empty ones are not sent
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, conn := range conns {
		fmt.Println(conn.Provider, conn.Group.GroupRef, conn.Consumer.ConsumerRef, conn.AuthScheme)
	}
	// Output: salesforce group-123 consumer-123 oauth2/authorizationCode
}

func ExampleConnectionsService_Generate() {
	c, stop := newExampleClient(0)
	defer stop()

	conn, err := c.Connections.Generate(context.Background(), client.GenerateConnectionRequest{
		ProjectIDOrName: "my-project",
		Params: client.GenerateConnectionParams{
			Provider:    "salesforce",
			GroupRef:    "group-123",
			ConsumerRef: "consumer-123",
			OAuth2AuthorizationCode: client.OAuth2AuthorizationCode{
				RefreshToken: client.OAuth2Token{Token: "5Aep861TSESvWeug_xvFHRBTTbf"},
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conn.Provider, conn.AuthScheme, conn.Status)
	// Output: salesforce oauth2/authorizationCode working
}

func ExampleConnectionsService_Get() {
	c, stop := newExampleClient(0)
	defer stop()

	conn, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{
		ProjectIDOrName: "my-project",
		ConnectionID:    exampleID,
		IncludeCreds:    true,                        // the access token and scopes
		Refresh:         client.RefreshModeIfExpired, // renew the access token first if it expired
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conn.Status, conn.OAuth2AuthorizationCode.Scopes, conn.OAuth2AuthorizationCode.AccessToken.Token != "")
	// Output: working [api refresh_token] true
}

func ExampleConnectionsService_Update() {
	c, stop := newExampleClient(0)
	defer stop()

	conn, err := c.Connections.Update(context.Background(), client.UpdateConnectionRequest{
		ProjectIDOrName: "my-project",
		ConnectionID:    exampleID,
		Params: client.UpdateConnectionParams{
			UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldProviderWorkspaceRef},
			Connection: client.ConnectionRequest{ProviderWorkspaceRef: "acme.my.salesforce.com"},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conn.ProviderWorkspaceRef)
	// Output: acme.my.salesforce.com
}

func ExampleConnectionsService_Delete() {
	c, stop := newExampleClient(0)
	defer stop()
	ctx := context.Background()

	err := c.Connections.Delete(ctx, client.DeleteConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: exampleID})
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: exampleID})
	fmt.Println(errors.Is(err, client.ErrNotFound))
	// Output: true
}

// The standalone functions are the methods in function form, like the TypeScript SDK's connectionsList(sdk, req).
func ExampleConnectionsList() {
	c, stop := newExampleClient(0)
	defer stop()

	conns, err := client.ConnectionsList(context.Background(), c, client.ListConnectionsRequest{ProjectIDOrName: "my-project"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(conns))
	// Output: 1
}

// Errors are branched on with errors.As and errors.Is; a problem's fields explain what went wrong.
func ExampleAPIError() {
	c, stop := newExampleClient(0)
	defer stop()

	_, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{
		ProjectIDOrName: "my-project",
		ConnectionID:    "c3a1f9d2-7b4e-4f8a-9e6d-2c5b8a3f1e7d",
	})
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, errors.Is(err, client.ErrNotFound), apiErr.RequestID())
	}
	// Output: 404 true 89eb1ffb-2a54-4105-aaae-7bf990f1aa69#87717
}

// Retries are configured per client or per call; a server's Retry-After is honoured up to MaxInterval.
func ExampleWithRetryConfig() {
	rc := client.DefaultRetryConfig()
	rc.InitialInterval, rc.MaxInterval = 10*time.Millisecond, 100*time.Millisecond
	attempts := 0
	count := client.WithHooks(client.Hooks{CallEnd: func(_ context.Context, call *client.Call, _ error) { attempts = call.Attempts }})
	c, stop := newExampleClient(2, client.WithRetryConfig(rc), count) // the stand-in answers 503 twice first
	defer stop()

	conns, err := c.Connections.List(context.Background(), client.ListConnectionsRequest{ProjectIDOrName: "my-project"})
	fmt.Println(len(conns), err, attempts, "attempts")
	// Output: 1 <nil> 3 attempts
}
