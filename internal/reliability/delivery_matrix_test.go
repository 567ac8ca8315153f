package reliability_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

const deliverySecret = "whsec_cmVsaWFiaWxpdHktbWF0cml4LXNlY3JldA=="

// deliveryFault is one row of the delivery matrix: a fault of the fake's delivery (or of the receiver) and
// what every lifecycle event's delivery must then look like: "<attempts recorded> <notifications the
// receiver verified and handled>". The schedule allows three attempts.
type deliveryFault struct {
	name  string
	fault *amptest.DeliveryFault
	// receiver answers the nth request itself when it returns a status (or -1: breaks the connection); 0
	// lets the verifying handler answer.
	receiver func(n int) int
	want     string
}

var deliveryFaults = []deliveryFault{
	{name: "none", want: "1 1"},
	{name: "drop once", fault: &amptest.DeliveryFault{Kind: amptest.DeliveryDrop}, want: "2 1"},
	{name: "drop every attempt", fault: &amptest.DeliveryFault{Kind: amptest.DeliveryDrop, Times: 3}, want: "3 0"},
	{name: "delay", fault: &amptest.DeliveryFault{Kind: amptest.DeliveryDelay, Delay: 20 * time.Millisecond}, want: "1 1"},
	{name: "duplicate", fault: &amptest.DeliveryFault{Kind: amptest.DeliveryDuplicate}, want: "2 2"},
	{name: "bad signature once", fault: &amptest.DeliveryFault{Kind: amptest.DeliveryBadSignature}, want: "2 1"},
	{name: "bad signature every attempt", fault: &amptest.DeliveryFault{Kind: amptest.DeliveryBadSignature, Times: 3}, want: "3 0"},
	{name: "receiver 503 once", receiver: func(n int) int { return map[bool]int{true: 503}[n == 1] }, want: "2 1"},
	{name: "receiver breaks the connection once", receiver: func(n int) int { return map[bool]int{true: -1}[n == 1] }, want: "2 1"},
}

// lifecycleEvent is one column: an action on the fake and the notification it must send.
type lifecycleEvent struct {
	name string
	typ  client.NotificationType
	// act performs the event and returns the connection it is about.
	act func(ctx context.Context, srv *amptest.Server, c *client.Client, oauth client.Connection) (string, error)
}

var lifecycleEvents = []lifecycleEvent{
	{"generate", client.NotificationTypeConnectionCreated, func(ctx context.Context, _ *amptest.Server, c *client.Client, _ client.Connection) (string, error) {
		conn, err := c.Connections.Generate(ctx, client.GenerateConnectionRequest{ProjectIDOrName: project,
			Params: client.GenerateConnectionParams{Provider: "hubspot", GroupRef: "g9", ConsumerRef: "c9", APIKey: "k"}})
		if err != nil {
			return "", err
		}
		return conn.ID, nil
	}},
	{"oauth consent", client.NotificationTypeConnectionCreated, func(ctx context.Context, srv *amptest.Server, c *client.Client, _ client.Connection) (string, error) {
		u, err := c.OAuth.Connect(ctx, client.OAuthConnectRequest{Params: client.OAuthConnectParams{ProjectIDOrName: project, Provider: "salesforce", GroupRef: "g9", ConsumerRef: "c9"}})
		if err != nil {
			return "", err
		}
		conn, err := srv.ApproveOAuth(ctx, u.String())
		return conn.ID, err
	}},
	{"update", client.NotificationTypeConnectionUpdated, func(ctx context.Context, _ *amptest.Server, c *client.Client, oauth client.Connection) (string, error) {
		_, err := c.Connections.Update(ctx, client.UpdateConnectionRequest{ProjectIDOrName: project, ConnectionID: oauth.ID,
			Params: client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldProviderWorkspaceRef},
				Connection: client.ConnectionRequest{ProviderWorkspaceRef: "w"}}})
		return oauth.ID, err
	}},
	{"re-authorize", client.NotificationTypeConnectionUpdated, func(ctx context.Context, srv *amptest.Server, c *client.Client, oauth client.Connection) (string, error) {
		u, err := c.OAuth.Update(ctx, client.OAuthUpdateRequest{ProjectIDOrName: project, ConnectionID: oauth.ID})
		if err != nil {
			return "", err
		}
		_, err = srv.ApproveOAuth(ctx, u.String())
		return oauth.ID, err
	}},
	{"refresh", client.NotificationTypeConnectionRefreshed, func(ctx context.Context, _ *amptest.Server, c *client.Client, oauth client.Connection) (string, error) {
		_, err := c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: project, ConnectionID: oauth.ID, Refresh: client.RefreshModeForce})
		return oauth.ID, err
	}},
	{"revoke", client.NotificationTypeConnectionError, func(_ context.Context, srv *amptest.Server, _ *client.Client, oauth client.Connection) (string, error) {
		return oauth.ID, srv.RevokeGrant(project, oauth.ID)
	}},
	{"delete", client.NotificationTypeConnectionDeleted, func(ctx context.Context, _ *amptest.Server, c *client.Client, oauth client.Connection) (string, error) {
		return oauth.ID, c.Connections.Delete(ctx, client.DeleteConnectionRequest{ProjectIDOrName: project, ConnectionID: oauth.ID})
	}},
}

// TestDeliveryFaultMatrix runs every lifecycle event under every delivery fault: the API call succeeds
// whatever the delivery does, every attempt of a notification has its message id, the receiver handles the
// notification about the right connection as many times as the row says, and the attempts stop there.
func TestDeliveryFaultMatrix(t *testing.T) {
	for _, row := range deliveryFaults {
		for _, ev := range lifecycleEvents {
			t.Run(row.name+"/"+ev.name, func(t *testing.T) {
				t.Parallel()
				if got := runDeliveryCell(t, row, ev); got != row.want {
					t.Errorf("got %q, want %q", got, row.want)
				}
			})
		}
	}
}

func runDeliveryCell(t *testing.T, row deliveryFault, ev lifecycleEvent) string {
	wh, err := client.NewWebhook(deliverySecret)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var handled []*client.Notification
	requests := 0
	verify := wh.Handler(func(_ context.Context, n *client.Notification) error {
		mu.Lock()
		defer mu.Unlock()
		handled = append(handled, n)
		return nil
	})
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		n := requests
		mu.Unlock()
		if row.receiver != nil {
			switch status := row.receiver(n); {
			case status < 0:
				if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
					conn.Close()
				}
				return
			case status > 0:
				w.WriteHeader(status)
				return
			}
		}
		verify.ServeHTTP(w, r)
	}))
	defer recv.Close()

	srv := amptest.NewServer(amptest.WithWebhook(recv.URL, deliverySecret), amptest.WithDeliverySchedule(0, 0))
	defer srv.Close()
	oauth, err := srv.SeedConnection(project, client.GenerateConnectionParams{Provider: "salesforce", GroupRef: "g", ConsumerRef: "c",
		OAuth2AuthorizationCode: client.OAuth2AuthorizationCode{RefreshToken: client.OAuth2Token{Token: "seed-refresh"}}})
	if err != nil {
		t.Fatal(err)
	}
	if row.fault != nil {
		srv.InjectDeliveryFault(*row.fault)
	}
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // bounds a hang; asserts no speed
	defer cancel()
	connID, err := ev.act(ctx, srv, c, oauth)
	if err != nil {
		t.Fatalf("the API call failed: %v", err)
	}

	// Wait until the delivery has settled: an attempt the receiver accepted, or the schedule's last attempt.
	// A duplicate's second copy follows its first at once.
	_, err = srv.WaitForDelivery(ctx, func(d amptest.Delivery) bool {
		settled := d.OK() || d.Attempt == 3
		return settled && (!d.Faulted || d.Fault != amptest.DeliveryDuplicate || len(srv.Deliveries()) == 2)
	})
	if err != nil {
		t.Fatalf("the delivery did not settle: %v; attempts %+v", err, srv.Deliveries())
	}
	srv.Close() // ends anything still pending: the counts below are final
	ds := srv.Deliveries()
	for i, d := range ds {
		if d.MessageID != ds[0].MessageID || d.Type != ev.typ || d.URL != recv.URL {
			t.Errorf("attempt %d: %s %s to %s, want one message of %s", i+1, d.MessageID, d.Type, d.URL, ev.typ)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, n := range handled {
		if n.Type != ev.typ || n.ID != ds[0].MessageID || !aboutConnection(n, connID) {
			t.Errorf("handled %s %s %s, want %s about %s", n.Type, n.ID, n.Body, ev.typ, connID)
		}
	}
	return fmt.Sprintf("%d %d", len(ds), len(handled))
}

func aboutConnection(n *client.Notification, id string) bool {
	switch p := n.Payload.(type) {
	case *client.ConnectionCreatedNotificationPayload:
		return p.Data.ConnectionID == id
	case *client.ConnectionUpdatedNotificationPayload:
		return p.Data.ConnectionID == id
	case *client.ConnectionRefreshedNotificationPayload:
		return p.Data.ConnectionID == id
	case *client.ConnectionDeletedNotificationPayload:
		return p.Data.ConnectionID == id
	case *client.ConnectionErrorNotificationPayload:
		return p.Data.ConnectionID == id && len(p.Data.Errors) > 0
	}
	return false
}
