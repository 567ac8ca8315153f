package amptest_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// The whole life of a connection, as your webhook endpoint sees it: the fake delivers a signed notification
// for each change, and the endpoint verifies it with client.Webhook. A revoked grant sends connection.error,
// the moment to offer the customer a re-authorization (OAuth.Update); their consent sends connection.updated.
func ExampleWithWebhook() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // the endpoint's secret: a test value
	wh, err := client.NewWebhook(secret)
	if err != nil {
		log.Fatal(err)
	}
	got := make(chan *client.Notification, 10)
	endpoint := httptest.NewServer(wh.Handler(func(_ context.Context, n *client.Notification) error {
		got <- n
		return nil
	}))
	defer endpoint.Close()

	srv := amptest.NewServer(amptest.WithWebhook(endpoint.URL, secret))
	defer srv.Close()
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	next := func() *client.Notification {
		select {
		case n := <-got:
			return n
		case <-ctx.Done():
			log.Fatal("no notification")
			return nil
		}
	}

	// The customer consents: connection.created.
	u, err := c.OAuth.Connect(ctx, client.OAuthConnectRequest{Params: client.OAuthConnectParams{
		ProjectIDOrName: "my-project", Provider: "salesforce", GroupRef: "acme", ConsumerRef: "jane",
	}})
	if err != nil {
		log.Fatal(err)
	}
	conn, err := srv.ApproveOAuth(ctx, u.String())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(next().Type)

	// They revoke access at the provider: Ampersand's refresh fails, connection.error.
	if err := srv.RevokeGrant("my-project", conn.ID); err != nil {
		log.Fatal(err)
	}
	n := next()
	fmt.Println(n.Type, n.Payload.(*client.ConnectionErrorNotificationPayload).Data.ConnectionID == conn.ID)

	// Your code offers a re-authorization; they consent again: connection.updated.
	u, err = c.OAuth.Update(ctx, client.OAuthUpdateRequest{ProjectIDOrName: "my-project", ConnectionID: conn.ID})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := srv.ApproveOAuth(ctx, u.String()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(next().Type)
	// Output:
	// connection.created
	// connection.error true
	// connection.updated
}
