package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// newExampleClient starts a fake Ampersand API with one stored connection and returns a client for it. With
// the real API you would write client.New() (the key from AMPERSAND_API_KEY) instead.
func newExampleClient() (*client.Client, *amptest.Server, *client.Connection) {
	srv := amptest.NewServer()
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey))
	if err != nil {
		log.Fatal(err)
	}
	conn, err := srv.SeedConnection("my-project", client.GenerateConnectionParams{
		Provider: "salesforce", GroupRef: "group-123", ConsumerRef: "consumer-123",
		OAuth2AuthorizationCode: client.OAuth2AuthorizationCode{RefreshToken: client.OAuth2Token{Token: "refresh-1"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	return c, srv, &conn
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
	c, srv, _ := newExampleClient()
	defer srv.Close()

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
	c, srv, _ := newExampleClient()
	defer srv.Close()

	conn, err := c.Connections.Generate(context.Background(), client.GenerateConnectionRequest{
		ProjectIDOrName: "my-project",
		Params: client.GenerateConnectionParams{
			Provider:    "hubspot",
			GroupRef:    "group-123",
			ConsumerRef: "consumer-123",
			APIKey:      "pat-na1-11111111",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conn.Provider, conn.AuthScheme, conn.Status)
	// Output: hubspot apiKey created
}

func ExampleConnectionsService_Get() {
	c, srv, seeded := newExampleClient()
	defer srv.Close()

	conn, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{
		ProjectIDOrName: "my-project",
		ConnectionID:    seeded.ID,
		IncludeCreds:    true,                        // the access token and scopes
		Refresh:         client.RefreshModeIfExpired, // renew the access token first if it expired
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conn.ID == seeded.ID, conn.OAuth2AuthorizationCode.AccessToken.Token != "")
	fmt.Printf("refresh token without IncludeRefreshToken: %q\n", conn.OAuth2AuthorizationCode.RefreshToken.Token)
	// Output:
	// true true
	// refresh token without IncludeRefreshToken: ""
}

func ExampleConnectionsService_Update() {
	c, srv, seeded := newExampleClient()
	defer srv.Close()

	conn, err := c.Connections.Update(context.Background(), client.UpdateConnectionRequest{
		ProjectIDOrName: "my-project",
		ConnectionID:    seeded.ID,
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
	c, srv, seeded := newExampleClient()
	defer srv.Close()
	ctx := context.Background()

	err := c.Connections.Delete(ctx, client.DeleteConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: seeded.ID})
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: seeded.ID})
	fmt.Println(errors.Is(err, client.ErrNotFound))
	// Output: true
}

// The standalone functions are the methods in function form, like the TypeScript SDK's connectionsList(sdk, req).
func ExampleConnectionsList() {
	c, srv, _ := newExampleClient()
	defer srv.Close()

	conns, err := client.ConnectionsList(context.Background(), c, client.ListConnectionsRequest{ProjectIDOrName: "my-project"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(conns))
	// Output: 1
}

// Errors are branched on with errors.As and errors.Is; a problem's fields explain what to fix.
func ExampleAPIError() {
	c, srv, seeded := newExampleClient()
	defer srv.Close()

	_, err := c.Connections.Update(context.Background(), client.UpdateConnectionRequest{
		ProjectIDOrName: "my-project",
		ConnectionID:    seeded.ID,
		Params: client.UpdateConnectionParams{ // an OAuth2 connection has no API key to rotate
			UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldAPIKey},
			Connection: client.ConnectionRequest{APIKey: "new-key"},
		},
	})
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Problem.Remedy)
	}
	// Output: 400 Allowed masks: 'providerMetadata, providerWorkspaceRef'
}

// Retries are configured per client or per call; a server's Retry-After is honoured up to MaxInterval.
func ExampleWithRetryConfig() {
	srv := amptest.NewServer()
	defer srv.Close()
	srv.InjectFault(amptest.OpListConnections, amptest.Fault{Status: 503, Times: 2})

	rc := client.DefaultRetryConfig()
	rc.InitialInterval, rc.MaxInterval = 10*time.Millisecond, 100*time.Millisecond
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey), client.WithRetryConfig(rc))
	if err != nil {
		log.Fatal(err)
	}
	conns, err := c.Connections.List(context.Background(), client.ListConnectionsRequest{ProjectIDOrName: "p"})
	fmt.Println(len(conns), err, len(srv.Requests()), "attempts")
	// Output: 0 <nil> 3 attempts
}
