package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

func ExampleOAuthService_Connect() {
	c, stop := newExampleClient(0)
	defer stop()

	u, err := c.OAuth.Connect(context.Background(), client.OAuthConnectRequest{Params: client.OAuthConnectParams{
		ProjectIDOrName: "my-project", Provider: "salesforce", GroupRef: "org-42", ConsumerRef: "user-7",
	}})
	if err != nil {
		log.Fatal(err)
	}
	// A web app redirects the customer's browser to u, the provider's consent page. Once the customer
	// grants access, the connection exists (a connection.created notification says so; see Webhook).
	fmt.Println(u.Host)
	// Output: login.salesforce.com
}

func ExampleOAuthService_Update() {
	c, stop := newExampleClient(0)
	defer stop()

	u, err := c.OAuth.Update(context.Background(), client.OAuthUpdateRequest{ProjectIDOrName: "my-project", ConnectionID: exampleID})
	if err != nil {
		log.Fatal(err)
	}
	// The customer grants access again at u: the connection gets new tokens (connection.updated).
	fmt.Println(u.Scheme, u.Host)
	// Output: https login.salesforce.com
}

func ExampleConnectionsService_CustomAuthConnect() {
	c, stop := newExampleClient(0)
	defer stop()
	ctx := context.Background()

	step, err := c.Connections.CustomAuthConnect(ctx, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
		ProjectIDOrName: "my-project", Provider: "microsoft", GroupRef: "group-123", ConsumerRef: "consumer-123",
		CustomAuth: map[string]any{"userName": "admin@acme.example", "password": "hunter2"},
	}})
	for err == nil && step.Redirect != nil {
		// The customer's browser opens step.Redirect.URL; the provider sends it back to your callback, whose
		// query parameters resume the flow.
		fmt.Println("redirect to", step.Redirect.URL.Host)
		callback := map[string]string{"tenant": "9e1477fd-54ef-41fe-b747-bc9e6a11a925"}
		step, err = c.Connections.CustomAuthConnect(ctx, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
			ProjectIDOrName: "my-project", SessionID: step.Redirect.SessionID, CallbackParams: callback,
		}})
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(step.Connection.Status, step.Connection.Group.GroupRef)
	// Output:
	// redirect to login.microsoftonline.com
	// working group-123
}
