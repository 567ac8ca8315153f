package readme_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// The README's two tests, run as written.

func TestSync(t *testing.T) {
	srv := amptest.NewServer()
	t.Cleanup(srv.Close)
	c, _ := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey))

	srv.SeedConnection("my-project", client.GenerateConnectionParams{Provider: "salesforce", GroupRef: "g", ConsumerRef: "c"})
	srv.InjectFault(amptest.OpListConnections, amptest.Fault{Status: 503, Times: 2}) // then succeeds

	// Your code; here, the SDK's retries ride out the two 503s.
	conns, err := c.Connections.List(context.Background(), client.ListConnectionsRequest{ProjectIDOrName: "my-project"})
	if err != nil || len(conns) != 1 {
		t.Fatalf("%d connections, %v", len(conns), err)
	}

	if got := len(srv.Requests()); got != 3 {
		t.Fatalf("%d requests, want 3 (two 503s, then success)", got)
	}
}

func TestReauthorizeOnError(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // a test value
	wh, _ := client.NewWebhook(secret)
	hook := httptest.NewServer(wh.Handler(func(ctx context.Context, n *client.Notification) error {
		return nil // your endpoint's code
	}))
	t.Cleanup(hook.Close)
	srv := amptest.NewServer(amptest.WithWebhook(hook.URL, secret))
	t.Cleanup(srv.Close)
	conn, _ := srv.SeedConnection("my-project", client.GenerateConnectionParams{Provider: "salesforce", GroupRef: "g", ConsumerRef: "c",
		OAuth2AuthorizationCode: client.OAuth2AuthorizationCode{RefreshToken: client.OAuth2Token{Token: "r"}}})

	srv.InjectDeliveryFault(amptest.DeliveryFault{Kind: amptest.DeliveryDuplicate}) // your endpoint must cope
	if err := srv.RevokeGrant("my-project", conn.ID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := srv.WaitForDelivery(ctx, func(d amptest.Delivery) bool {
		return d.Type == client.NotificationTypeConnectionError && d.OK()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("delivered %s (attempt %d): %s", d.MessageID, d.Attempt, d.Body)
	// … then check what your code did: a re-authorize link offered to the user, say.
}
