package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// waitFor waits until the app's webhook accepted a notification of type typ about the connection id.
func waitFor(t *testing.T, srv *amptest.Server, typ client.NotificationType, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := srv.WaitForDelivery(ctx, func(d amptest.Delivery) bool {
		return d.Type == typ && d.OK() && strings.Contains(string(d.Body), `"connectionId":"`+id+`"`)
	}); err != nil {
		t.Fatalf("no accepted %s for %s: %v (deliveries: %+v)", typ, id, err, srv.Deliveries())
	}
}

// The connection's whole life, offline: consent → connection.created → the customer revokes the grant →
// connection.error, and the app offers a re-authorization → consent again → connection.updated, and the
// connection works. The app learns each step from a verified notification, never by polling.
func TestLifecycleFromNotifications(t *testing.T) {
	web, srv := startApp(t)
	b := newBrowser(t)
	consent(t, b, web, srv, "jane", "allow")
	conns := srv.Connections("oauth-example")
	if len(conns) != 1 {
		t.Fatalf("%d connections after Allow", len(conns))
	}
	id := conns[0].ID
	waitFor(t, srv, client.NotificationTypeConnectionCreated, id)
	page, _, _ := b.do(web.URL+"/connection?user=jane", nil)
	if !strings.Contains(page, "Connected: <code>"+id+"</code>") || strings.Contains(page, `id="reauthorize"`) {
		t.Fatalf("after connection.created:\n%s", page)
	}

	if err := srv.RevokeGrant("oauth-example", id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, srv, client.NotificationTypeConnectionError, id)
	page, _, _ = b.do(web.URL+"/connection?user=jane", nil)
	if !strings.Contains(page, `id="broken"`) || !strings.Contains(page, `href="/reauthorize?user=jane"`) {
		t.Fatalf("after connection.error the page offers no re-authorization:\n%s", page)
	}

	// Re-authorize: the app sends the browser to the URL of OAuth.Update, the customer allows again.
	page, status, at := b.do(web.URL+"/reauthorize?user=jane", nil)
	origin := strings.TrimSuffix(srv.URL, "/v1")
	m := stateField.FindStringSubmatch(page)
	if status != http.StatusOK || !strings.HasPrefix(at.String(), origin+"/oauth/authorize?") || m == nil {
		t.Fatalf("reauthorize: %d at %s:\n%s", status, at, page)
	}
	if page, status, at = b.do(origin+"/oauth/authorize", map[string][]string{"state": {m[1]}, "decision": {"allow"}}); status != http.StatusOK || at.Path != "/callback" {
		t.Fatalf("consent to re-authorize: %d at %s:\n%s", status, at, page)
	}
	waitFor(t, srv, client.NotificationTypeConnectionUpdated, id)
	page, _, _ = b.do(web.URL+"/connection?user=jane", nil)
	if !strings.Contains(page, "Connected: <code>"+id+"</code>, salesforce, status <b>working</b>") || strings.Contains(page, `id="broken"`) {
		t.Fatalf("after connection.updated:\n%s", page)
	}
	if n := len(srv.Connections("oauth-example")); n != 1 {
		t.Errorf("%d connections: re-authorizing made a new one", n)
	}
}

// A delivery whose signature is not the app's secret's is refused with 400, and changes nothing.
func TestWebhookRefusesForgeries(t *testing.T) {
	web, _ := startApp(t)
	req, _ := http.NewRequest(http.MethodPost, web.URL+webhookPath, strings.NewReader(
		`{"notificationType":"connection.created","data":{"connectionId":"x","consumerRef":"jane"}}`))
	req.Header.Set("svix-id", "msg_forged")
	req.Header.Set("svix-timestamp", "1765000000")
	req.Header.Set("svix-signature", "v1,Zm9yZ2Vk")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a forged delivery: %d, want 400", resp.StatusCode)
	}
	if page, _, _ := newBrowser(t).do(web.URL+"/connection?user=jane", nil); !strings.Contains(page, "No connection for jane yet.") {
		t.Errorf("a forged delivery changed the app:\n%s", page)
	}
}
