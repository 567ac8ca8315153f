package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// webhookPath is where Ampersand (or the fake) delivers the app's lifecycle notifications.
const webhookPath = "/webhooks/ampersand"

// userState is what the notifications told the app of one user's connection.
type userState struct {
	connectionID string
	broken       []string // the errors of the last connection.error, until a re-authorization fixes it
}

// notifications keeps, per user (consumerRef), the connection the notifications named: the app learns of a
// new connection from connection.created instead of polling List, and of a revoked grant from
// connection.error, when it offers the user a re-authorization (OAuth.Update).
type notifications struct {
	mu    sync.Mutex
	users map[string]*userState
	seen  map[string]bool // message ids handled: a redelivered message is a no-op
}

func newNotifications() *notifications {
	return &notifications{users: map[string]*userState{}, seen: map[string]bool{}}
}

// handle is the webhook's function: it records what each connection notification says.
func (ns *notifications) handle(_ context.Context, n *client.Notification) error {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.seen[n.ID] {
		return nil
	}
	ns.seen[n.ID] = true
	switch p := n.Payload.(type) {
	case *client.ConnectionCreatedNotificationPayload:
		ns.users[p.Data.ConsumerRef] = &userState{connectionID: p.Data.ConnectionID}
	case *client.ConnectionUpdatedNotificationPayload: // a re-authorization (or an update) fixed it
		ns.users[p.Data.ConsumerRef] = &userState{connectionID: p.Data.ConnectionID}
	case *client.ConnectionErrorNotificationPayload:
		errs := append(append([]string(nil), p.Data.Errors...), p.Data.Error...)
		if len(errs) == 0 {
			errs = []string{"the connection's credentials stopped working"}
		}
		ns.users[p.Data.ConsumerRef] = &userState{connectionID: p.Data.ConnectionID, broken: errs}
	case *client.ConnectionDeletedNotificationPayload:
		delete(ns.users, p.Data.ConsumerRef)
	}
	return nil
}

// user returns what the notifications said of user's connection; ok is false when they named none.
func (ns *notifications) user(user string) (st userState, ok bool) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if u := ns.users[user]; u != nil {
		return *u, true
	}
	return userState{}, false
}

// newWebhookSecret makes a signing secret in the form Ampersand's endpoints use ("whsec_<base64>"), for the
// fake: with the real API the secret is the endpoint's, from Ampersand's dashboard.
func newWebhookSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// reauthorize sends the user's browser to a URL that re-authorizes their connection (OAuth.Update), the
// remedy for a connection.error such as a revoked grant.
func (a *app) reauthorize(w http.ResponseWriter, r *http.Request) {
	user, ok := requireUser(w, r)
	if !ok {
		return
	}
	st, ok := a.notes.user(user)
	if !ok {
		render(w, http.StatusNotFound, view{Title: "Nothing to re-authorize", User: user, Denied: true,
			Message: "No connection for " + user + " yet."})
		return
	}
	u, err := a.c.OAuth.Update(r.Context(), client.OAuthUpdateRequest{ProjectIDOrName: a.project, ConnectionID: st.connectionID})
	if err != nil {
		failed(w, user, err)
		return
	}
	http.Redirect(w, r, u.String(), http.StatusFound)
}
