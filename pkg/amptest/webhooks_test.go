package amptest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

const hookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// receiver is a webhook endpoint that verifies with pkg/client's Handler and records what it accepted. answer,
// when set, decides the status of each delivery before verification (its argument counts them from 1).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []*client.Notification
	calls  int
	answer func(n int) int
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	t.Helper()
	wh, err := client.NewWebhook(hookSecret)
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{answer: answer}
	verify := wh.Handler(func(_ context.Context, n *client.Notification) error {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.got = append(rc.got, n)
		return nil
	})
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.calls++
		n := rc.calls
		rc.mu.Unlock()
		if rc.answer != nil {
			if status := rc.answer(n); status != 0 {
				w.WriteHeader(status)
				return
			}
		}
		verify.ServeHTTP(w, r)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) notifications() []*client.Notification {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*client.Notification(nil), rc.got...)
}

// waitDelivered waits for the endpoint to accept a notification of typ about connID.
func waitDelivered(t *testing.T, srv *Server, typ client.NotificationType, connID string) Delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(bg, 20*time.Second) // a bound on a hung test, not a timed assertion
	defer cancel()
	d, err := srv.WaitForDelivery(ctx, func(d Delivery) bool {
		n, err := client.VerifyNotification(d.Body, d.Header, hookSecret)
		return d.Type == typ && d.OK() && err == nil && connectionIDOf(n) == connID
	})
	if err != nil {
		t.Fatalf("no %s about %s delivered: %v; deliveries: %+v", typ, connID, err, srv.Deliveries())
	}
	return d
}

func connectionIDOf(n *client.Notification) string {
	switch p := n.Payload.(type) {
	case *client.ConnectionCreatedNotificationPayload:
		return p.Data.ConnectionID
	case *client.ConnectionUpdatedNotificationPayload:
		return p.Data.ConnectionID
	case *client.ConnectionRefreshedNotificationPayload:
		return p.Data.ConnectionID
	case *client.ConnectionDeletedNotificationPayload:
		return p.Data.ConnectionID
	case *client.ConnectionErrorNotificationPayload:
		return p.Data.ConnectionID
	}
	return ""
}

// sent is how many notifications the server has enqueued.
func sent(s *Server) int {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return s.hooks.sent
}

// Every lifecycle event sends its notification, signed, with the connection's data.
func TestWebhookEachLifecycleEvent(t *testing.T) {
	rc := newReceiver(t, nil)
	h := newHarness(t, WithProject(Project{ID: "proj-id", Name: "my-project"}), WithWebhook(rc.srv.URL, hookSecret))
	c := h.sdk()

	// created by generate, updated by update, deleted by delete
	conn := h.generate("my-project", apiKeyParams("u1"))
	waitDelivered(t, h.srv, client.NotificationTypeConnectionCreated, conn.ID)
	if _, err := c.Connections.Update(bg, client.UpdateConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: conn.ID,
		Params: client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldProviderWorkspaceRef},
			Connection: client.ConnectionRequest{ProviderWorkspaceRef: "acme-2"}}}); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, h.srv, client.NotificationTypeConnectionUpdated, conn.ID)
	if err := c.Connections.Delete(bg, client.DeleteConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: conn.ID}); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, h.srv, client.NotificationTypeConnectionDeleted, conn.ID)

	// created by an OAuth consent, refreshed by a forced refresh, error on a revoked grant, updated by re-authorization
	oauth, err := h.srv.ApproveOAuth(bg, connectURL(t, c, connectParams))
	if err != nil {
		t.Fatal(err)
	}
	d := waitDelivered(t, h.srv, client.NotificationTypeConnectionCreated, oauth.ID)
	n, err := client.VerifyNotification(d.Body, d.Header, hookSecret)
	if err != nil {
		t.Fatal(err)
	}
	want := client.ConnectionData{ProjectID: "proj-id", ConnectionID: oauth.ID, Provider: "salesforce", GroupRef: "g1", ConsumerRef: "u1", ConsumerName: "Jane"}
	if got := n.Payload.(*client.ConnectionCreatedNotificationPayload).Data; got != want {
		t.Errorf("created data %+v, want %+v", got, want)
	}
	if _, err := c.Connections.Get(bg, client.GetConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: oauth.ID, Refresh: client.RefreshModeForce}); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, h.srv, client.NotificationTypeConnectionRefreshed, oauth.ID)
	if err := h.srv.RevokeGrant("my-project", oauth.ID); err != nil {
		t.Fatal(err)
	}
	d = waitDelivered(t, h.srv, client.NotificationTypeConnectionError, oauth.ID)
	if n, _ := client.VerifyNotification(d.Body, d.Header, hookSecret); len(n.Payload.(*client.ConnectionErrorNotificationPayload).Data.Errors) != 1 {
		t.Errorf("connection.error without its error: %s", d.Body)
	}
	got, err := c.Connections.Get(bg, client.GetConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: oauth.ID, Refresh: client.RefreshModeForce})
	if err != nil || got.Status != client.ConnectionStatusBadCredentials {
		t.Fatalf("a refresh of a revoked grant: %+v, %v; want status bad_credentials", got, err)
	}
	u, err := c.OAuth.Update(bg, client.OAuthUpdateRequest{ProjectIDOrName: "my-project", ConnectionID: oauth.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.ApproveOAuth(bg, u.String()); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, h.srv, client.NotificationTypeConnectionUpdated, oauth.ID)
	if got, err := c.Connections.Get(bg, client.GetConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: oauth.ID, Refresh: client.RefreshModeForce}); err != nil || got.Status != client.ConnectionStatusCreated {
		t.Fatalf("a refresh after re-authorization: %+v, %v", got, err)
	}

	// created by a completed custom auth flow
	redirect := startCustomAuth(t, c, customParams)
	params, err := h.srv.CompleteCustomAuth(bg, redirect.URL.String())
	if err != nil {
		t.Fatal(err)
	}
	step, err := resume(c, "my-project", redirect.SessionID, params)
	if err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, h.srv, client.NotificationTypeConnectionCreated, step.Connection.ID)

	if err := h.srv.RevokeGrant("my-project", step.Connection.ID); err == nil {
		t.Error("RevokeGrant of a custom auth connection: no error")
	}
	if err := h.srv.RevokeGrant("my-project", "nope"); err == nil {
		t.Error("RevokeGrant of an unknown connection: no error")
	}
}

// Reads, refused requests and faults that skip the operation change nothing, so they send nothing. The count
// is taken synchronously: a notification is enqueued before the API call answers.
func TestWebhookReadsAndRefusalsSendNothing(t *testing.T) {
	rc := newReceiver(t, nil)
	h := newHarness(t, WithWebhook(rc.srv.URL, hookSecret))
	c := h.sdk(client.WithoutRetries())
	conn, err := h.srv.SeedConnection("p", apiKeyParams("u1"))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Connections.List(bg, client.ListConnectionsRequest{ProjectIDOrName: "p"})
	_, _ = c.Connections.Get(bg, client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: conn.ID, Refresh: client.RefreshModeForce})
	_, _ = c.Connections.Get(bg, client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "nope"})
	_ = c.Connections.Delete(bg, client.DeleteConnectionRequest{ProjectIDOrName: "p", ConnectionID: "nope"})
	_, _ = c.Connections.Update(bg, client.UpdateConnectionRequest{ProjectIDOrName: "p", ConnectionID: conn.ID,
		Params: client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldBasicAuth}}})
	h.send(http.MethodPost, generatePath("p"), `{"provider":"hubspot"}`)
	h.send(http.MethodPost, generatePath("p"), apiKeyParams("u2"), withoutHeader("X-Api-Key"))
	h.srv.InjectFault(OpGenerateConnection, Fault{Status: http.StatusServiceUnavailable})
	_, _ = c.Connections.Generate(bg, client.GenerateConnectionRequest{ProjectIDOrName: "p", Params: apiKeyParams("u3")})
	if n := sent(h.srv); n != 0 {
		t.Fatalf("%d notifications sent by reads and refused requests", n)
	}
	h.generate("p", apiKeyParams("u4"))
	if n := sent(h.srv); n != 1 {
		t.Fatalf("%d notifications sent by one generate, want 1", n)
	}
}

// A delivery that is not answered with a 2xx, or whose connection breaks, is retried with the same message id
// and a fresh timestamp and signature.
func TestWebhookRetries(t *testing.T) {
	rc := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return 0
	})
	// One second between attempts, so that the second has another svix-timestamp (Unix seconds).
	h := newHarness(t, WithWebhook(rc.srv.URL, hookSecret), WithDeliverySchedule(1100*time.Millisecond))
	conn := h.generate("p", apiKeyParams("u1"))
	waitDelivered(t, h.srv, client.NotificationTypeConnectionCreated, conn.ID)
	ds := h.srv.Deliveries()
	if len(ds) != 2 || ds[0].StatusCode != 500 || ds[0].Attempt != 1 || ds[1].Attempt != 2 || ds[0].MessageID != ds[1].MessageID {
		t.Fatalf("deliveries %+v", ds)
	}
	if ds[0].Header.Get("Svix-Id") != ds[1].Header.Get("Svix-Id") ||
		ds[0].Header.Get("Svix-Timestamp") == ds[1].Header.Get("Svix-Timestamp") ||
		ds[0].Header.Get("Svix-Signature") == ds[1].Header.Get("Svix-Signature") ||
		ds[1].Header.Get("Svix-Timestamp") != strconv.FormatInt(ds[1].Time.Unix(), 10) {
		t.Errorf("retry headers: %v then %v", ds[0].Header, ds[1].Header)
	}
	if got := rc.notifications(); len(got) != 1 || got[0].ID != ds[0].MessageID {
		t.Errorf("the endpoint accepted %d notifications", len(got))
	}
}

func TestWebhookRetriesABrokenConnectionAndStopsAfterTheSchedule(t *testing.T) {
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(broken.Close)
	h := newHarness(t, WithWebhook(broken.URL, hookSecret), WithDeliverySchedule(0, 0))
	h.generate("p", apiKeyParams("u1"))
	h.srv.hooks.wg.Wait() // every delivery has ended
	ds := h.srv.Deliveries()
	if len(ds) != 3 {
		t.Fatalf("%d attempts, want 3 (the schedule's two retries): %+v", len(ds), ds)
	}
	for i, d := range ds {
		if d.Attempt != i+1 || d.StatusCode != 0 || d.Err == "" || d.OK() {
			t.Errorf("attempt %d: %+v", i+1, d)
		}
	}
}

// Each delivery fault does what it says, to the attempts it matches.
func TestWebhookDeliveryFaults(t *testing.T) {
	for _, tc := range []struct {
		fault    DeliveryFault
		attempts int // recorded
		accepted int // notifications the endpoint verified and handled
	}{
		{DeliveryFault{Kind: DeliveryDrop}, 2, 1},
		{DeliveryFault{Kind: DeliveryDrop, Times: 3}, 3, 0},
		{DeliveryFault{Kind: DeliveryDuplicate}, 2, 2},
		{DeliveryFault{Kind: DeliveryBadSignature}, 2, 1},
		{DeliveryFault{Kind: DeliveryDelay, Delay: 10 * time.Millisecond}, 1, 1},
		{DeliveryFault{Kind: DeliveryDrop, Type: client.NotificationTypeConnectionDeleted}, 1, 1},
	} {
		t.Run(tc.fault.Kind.String(), func(t *testing.T) {
			rc := newReceiver(t, nil)
			h := newHarness(t, WithWebhook(rc.srv.URL, hookSecret), WithDeliverySchedule(0, 0))
			h.srv.InjectDeliveryFault(tc.fault)
			h.generate("p", apiKeyParams("u1"))
			h.srv.hooks.wg.Wait()
			ds := h.srv.Deliveries()
			got := rc.notifications()
			if len(ds) != tc.attempts || len(got) != tc.accepted {
				t.Fatalf("%d attempts, %d accepted; want %d, %d: %+v", len(ds), len(got), tc.attempts, tc.accepted, ds)
			}
			if tc.fault.Type == "" && (!ds[0].Faulted || ds[0].Fault != tc.fault.Kind) {
				t.Errorf("the first attempt is not recorded as faulted: %+v", ds[0])
			}
			if tc.fault.Kind == DeliveryBadSignature && ds[0].StatusCode != http.StatusBadRequest {
				t.Errorf("a bad signature was answered %d", ds[0].StatusCode)
			}
			if tc.fault.Kind == DeliveryDuplicate && got[0].ID != got[1].ID {
				t.Errorf("duplicates with different ids %q, %q", got[0].ID, got[1].ID)
			}
		})
	}
}

// A receiver that never answers slows no API call, and Close ends its delivery at once.
func TestWebhookHungReceiverNeitherSlowsCallsNorClose(t *testing.T) {
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hung.Close)
	t.Cleanup(func() { close(release) })
	srv := NewServer(WithWebhook(hung.URL, hookSecret), WithDeliverySchedule(time.Hour))
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 20*time.Second) // bounds a hang; the calls do not wait for deliveries
	defer cancel()
	for i := range 3 {
		if _, err := c.Connections.Generate(ctx, client.GenerateConnectionRequest{ProjectIDOrName: "p", Params: apiKeyParams("u" + strconv.Itoa(i))}); err != nil {
			t.Fatalf("generate %d while the receiver hangs: %v", i, err)
		}
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("Close did not return while deliveries hung")
	}
	if n := len(srv.Deliveries()); n != 3 {
		t.Errorf("%d attempts recorded, want the 3 cut short by Close", n)
	}
	srv.notify(client.NotificationTypeConnectionCreated, &record{}) // after Close: not started, no panic
}

func TestWaitForDeliveryEndsWithItsContext(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := srv.WaitForDelivery(ctx, func(Delivery) bool { return true }); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

func TestWithWebhookRefusesBadArguments(t *testing.T) {
	for _, opt := range []Option{WithWebhook("localhost:8080/hook", hookSecret), WithWebhook("http://127.0.0.1/hook", "whsec_!"), WithDeliverySchedule(-time.Second)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("NewServer accepted an invalid option")
				}
			}()
			NewServer(opt).Close()
		}()
	}
}
