package client_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// A webhook endpoint: the handler verifies each delivery and hands the typed notification to the function.
// Here a test server stands in for your backend, and the delivery is signed the way Ampersand signs one.
func ExampleWebhook_Handler() {
	// The endpoint's secret, from Ampersand's dashboard (keep it in your secret store).
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	wh, err := client.NewWebhook(secret)
	if err != nil {
		log.Fatal(err)
	}
	seen := map[string]bool{} // message ids handled; use your database, in the same transaction as the action
	srv := httptest.NewServer(wh.Handler(func(ctx context.Context, n *client.Notification) error {
		if seen[n.ID] {
			return nil // a retry of a message already handled
		}
		seen[n.ID] = true
		switch p := n.Payload.(type) {
		case *client.ConnectionCreatedNotificationPayload:
			fmt.Println("new connection", p.Data.ConnectionID, "for", p.Data.GroupRef)
		case *client.ConnectionErrorNotificationPayload:
			fmt.Println("connection", p.Data.ConnectionID, "needs re-authorization:", p.Data.Errors)
		case *client.UnknownNotification:
			fmt.Println("ignoring", p.Type)
		}
		return nil // a non-nil error answers 500: the sender retries later
	}))
	defer srv.Close()

	body := `{"notificationType":"connection.created","data":{"projectId":"p-1","connectionId":"conn-1",` +
		`"provider":"salesforce","groupRef":"acme","consumerRef":"u-1","consumerName":"Ada"}}`
	for range 2 { // the same message twice: the second is recognized by its id
		fmt.Println(deliver(srv.URL, wh, "msg_2b7c", body, body))
	}
	// A body changed after signing.
	fmt.Println(deliver(srv.URL, wh, "msg_9f00", body, strings.Replace(body, "acme", "evil", 1)))
	// Output:
	// new connection conn-1 for acme
	// 204 No Content
	// 204 No Content
	// 400 Bad Request
}

// deliver posts sent the way Ampersand posts signed, with the signature of signed under wh's secret, and
// returns the answer's status.
func deliver(url string, wh *client.Webhook, id, signed, sent string) string {
	now := time.Now()
	sig := wh.Sign(id, now, []byte(signed))
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(sent))
	req.Header.Set("svix-id", id)
	req.Header.Set("svix-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("svix-signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Status
}

// Verify a delivery yourself, from its raw body and headers (in a framework that is not net/http, say).
func ExampleWebhook_Verify() {
	wh, err := client.NewWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		log.Fatal(err)
	}
	body := []byte(`{"notificationType":"connection.error","data":{"connectionId":"conn-1","errors":["invalid_grant"]}}`)
	now := time.Now()
	header := http.Header{}
	header.Set("svix-id", "msg_1")
	header.Set("svix-timestamp", strconv.FormatInt(now.Unix(), 10))
	header.Set("svix-signature", wh.Sign("msg_1", now, body))

	n, err := wh.Verify(body, header)
	if err != nil {
		log.Fatal(err) // errors.Is(err, client.ErrWebhookSignature) and the others say why
	}
	if p, ok := n.Payload.(*client.ConnectionErrorNotificationPayload); ok {
		fmt.Println(n.Type, p.Data.ConnectionID, p.Data.Errors)
	}

	_, err = wh.Verify(body, http.Header{})
	fmt.Println(err)
	// Output:
	// connection.error conn-1 [invalid_grant]
	// ampersand: webhook header missing: svix-id
}
