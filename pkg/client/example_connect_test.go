package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

func ExampleOAuthService_Connect() {
	c, srv, _ := newExampleClient()
	defer srv.Close()
	ctx := context.Background()

	u, err := c.OAuth.Connect(ctx, client.OAuthConnectRequest{Params: client.OAuthConnectParams{
		ProjectIDOrName: "my-project", Provider: "salesforce", GroupRef: "org-42", ConsumerRef: "user-7",
	}})
	if err != nil {
		log.Fatal(err)
	}
	// A web app redirects the customer's browser to u. The fake plays the provider's consent page:
	conn, err := srv.ApproveOAuth(ctx, u.String())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conn.Provider, conn.AuthScheme, conn.Status, conn.Consumer.ConsumerRef)
	// Output: salesforce oauth2/authorizationCode working user-7
}

func ExampleOAuthService_Update() {
	c, srv, conn := newExampleClient()
	defer srv.Close()
	ctx := context.Background()

	u, err := c.OAuth.Update(ctx, client.OAuthUpdateRequest{ProjectIDOrName: "my-project", ConnectionID: conn.ID})
	if err != nil {
		log.Fatal(err)
	}
	renewed, err := srv.ApproveOAuth(ctx, u.String()) // the customer grants access again
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(renewed.ID == conn.ID, renewed.Status, renewed.OAuth2AuthorizationCode.RefreshToken.Token != "refresh-1")
	// Output: true working true
}

func ExampleConnectionsService_CustomAuthConnect() {
	c, srv, _ := newExampleClient()
	defer srv.Close()
	ctx := context.Background()

	step, err := c.Connections.CustomAuthConnect(ctx, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
		ProjectIDOrName: "my-project", Provider: "bill", GroupRef: "org-42", ConsumerRef: "user-7",
		CustomAuth: map[string]any{"userName": "admin@acme.example", "password": "hunter2"},
	}})
	for err == nil && step.Redirect != nil {
		// The browser opens step.Redirect.URL; the provider sends it back to the callback with parameters.
		params, cerr := srv.CompleteCustomAuth(ctx, step.Redirect.URL.String())
		if cerr != nil {
			log.Fatal(cerr)
		}
		step, err = c.Connections.CustomAuthConnect(ctx, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
			ProjectIDOrName: "my-project", SessionID: step.Redirect.SessionID, CallbackParams: params,
		}})
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(step.Connection.Provider, step.Connection.Group.GroupRef)
	// Output: bill org-42
}
