// Package readme holds the Go code that README.md shows, so that it compiles: each ```go block of the
// README is a verbatim excerpt of this file, readme_test.go, firstcall/main.go or otel/example_test.go
// (check_test.go checks it). The functions are never called: they show calls, against a client the
// README's reader has made.
package readme

//lint:file-ignore U1000 the README's snippets are compiled, never called
//lint:file-ignore SA4006 the README's snippets show calls, not what the reader does with each error

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// What the snippets use without declaring it, as the README's reader has it at hand.
var (
	ctx context.Context
	c   *client.Client
	req client.GetConnectionRequest
)

func operations() error {
	// List, with optional filters. An empty string is not sent, so it matches everything: ConsumerRef ""
	// lists every consumer's connections. Refuse an empty user before showing someone "their" connection.
	conns, err := c.Connections.List(ctx, client.ListConnectionsRequest{
		ProjectIDOrName: "my-project", Provider: "salesforce", GroupRef: "group-123", ConsumerRef: "consumer-123",
	})

	// Generate: import a credential as a new connection.
	conn, err := c.Connections.Generate(ctx, client.GenerateConnectionRequest{
		ProjectIDOrName: "my-project",
		Params: client.GenerateConnectionParams{
			Provider: "hubspot", GroupRef: "group-123", ConsumerRef: "consumer-123",
			APIKey: "pat-na1-…", // or BasicAuth, OAuth2ClientCredentials, OAuth2PasswordCredentials, OAuth2AuthorizationCode
		},
	})

	// Get, with credentials and a token refresh if it expired. IncludeCreds fills APIKey and the OAuth2 access
	// token and scopes; IncludeRefreshToken adds the refresh token. Without them those fields are empty.
	conn, err = c.Connections.Get(ctx, client.GetConnectionRequest{
		ProjectIDOrName: "my-project", ConnectionID: conn.ID,
		IncludeCreds: true, Refresh: client.RefreshModeIfExpired,
	})
	switch conn.AuthScheme {
	case client.AuthSchemeAPIKey:
		fmt.Println("API key:", conn.APIKey)
	case client.AuthSchemeOAuth2AuthorizationCode:
		tok := conn.OAuth2AuthorizationCode.AccessToken
		fmt.Println("access token:", tok.Token, "expires", tok.ExpiresAt, "scopes", conn.OAuth2AuthorizationCode.Scopes)
	}

	// Update exactly the fields named in the mask.
	conn, err = c.Connections.Update(ctx, client.UpdateConnectionRequest{
		ProjectIDOrName: "my-project", ConnectionID: conn.ID,
		Params: client.UpdateConnectionParams{
			UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldAPIKey},
			Connection: client.ConnectionRequest{APIKey: "pat-na1-new…"},
		},
	})

	// Delete.
	err = c.Connections.Delete(ctx, client.DeleteConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: conn.ID})
	_ = conns
	return err
}

func all() error {
	for conn, err := range c.Connections.All(ctx, client.ListConnectionsRequest{ProjectIDOrName: "my-project"}) {
		if err != nil {
			return err // the iteration ends after an error
		}
		fmt.Println(conn.ID, conn.Provider) // each *Connection is yours to keep or drop
	}
	return nil
}

// connect is your handler that starts the flow for the signed-in user.
func connect(w http.ResponseWriter, r *http.Request) {
	u, err := c.OAuth.Connect(r.Context(), client.OAuthConnectRequest{Params: client.OAuthConnectParams{
		ProjectIDOrName: "my-project", Provider: "salesforce", GroupRef: "org-42", ConsumerRef: "user-7",
	}})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, u.String(), http.StatusFound) // the connection appears once they consent
}

// reauthorize returns the URL that renews a connection whose grant was revoked.
func reauthorize(ctx context.Context, connectionID string) (*url.URL, error) {
	return c.OAuth.Update(ctx, client.OAuthUpdateRequest{ProjectIDOrName: "my-project", ConnectionID: connectionID})
}

// connectBill runs the flow; waitForCallback is your code: it sends the customer's browser to the URL and
// returns the parameters the provider sent back to your callback.
func connectBill(ctx context.Context, waitForCallback func(*url.URL) map[string]string) (*client.Connection, error) {
	step, err := c.Connections.CustomAuthConnect(ctx, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
		ProjectIDOrName: "my-project", Provider: "bill", GroupRef: "org-42", ConsumerRef: "user-7",
		CustomAuth: map[string]any{"userName": "admin@acme.example", "password": "…"},
	}})
	for err == nil && step.Redirect != nil {
		step, err = c.Connections.CustomAuthConnect(ctx, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
			ProjectIDOrName: "my-project", SessionID: step.Redirect.SessionID, CallbackParams: waitForCallback(step.Redirect.URL),
		}})
	}
	if err != nil {
		return nil, err
	}
	return step.Connection, nil
}

// notifications is your webhook endpoint: mux.Handle("POST /ampersand/notifications", notifications()).
func notifications() http.Handler {
	wh, err := client.NewWebhook(os.Getenv("AMPERSAND_WEBHOOK_SECRET"))
	if err != nil {
		log.Fatal(err) // errors.Is(err, client.ErrWebhookSecret): not whsec_<base64>
	}
	return wh.Handler(func(ctx context.Context, n *client.Notification) error {
		// n.ID is the same for every retry of one message: skip the ones you have handled.
		switch p := n.Payload.(type) {
		case *client.ConnectionCreatedNotificationPayload:
			log.Printf("connection %s of %s is ready", p.Data.ConnectionID, p.Data.GroupRef)
		case *client.ConnectionErrorNotificationPayload:
			log.Printf("connection %s needs re-authorization: %v", p.Data.ConnectionID, p.Data.Errors)
		case *client.UnknownNotification: // another notificationType, with its raw JSON
		}
		return nil // an error answers 500, and Ampersand retries later
	})
}

func errorHandling() {
	conn, err := c.Connections.Get(ctx, req)
	var apiErr *client.APIError
	switch {
	case errors.Is(err, client.ErrNotFound): // 404; also ErrUnauthorized, ErrForbidden, ErrRateLimited
	case errors.As(err, &apiErr):
		// Problem{title: "Bad Request", status: 400, detail: "…", requestId: "…", retryable: false, issues: [body "groupRef": …]}
		log.Printf("status %d, request %s: %v", apiErr.StatusCode, apiErr.RequestID(), apiErr.Problem)
	case errors.Is(err, context.DeadlineExceeded):
	case err == nil:
		fmt.Println(conn.ID)
	}
}

func decodeIssues() {
	var issues []client.DecodeIssue
	conns, err := c.Connections.List(ctx, client.ListConnectionsRequest{ProjectIDOrName: "my-project"}, client.WithHooks(client.Hooks{
		CallEnd: func(_ context.Context, call *client.Call, _ error) { issues = call.DecodeIssues },
	}))
	for _, is := range issues {
		log.Printf("repaired: %s", is) // e.g. /3/status: wrong type: ["working"]
	}
	_, _ = conns, err
}

func retries() {
	rc := client.DefaultRetryConfig()
	rc.MaxAttempts = 4
	rc.StatusCodes = []string{"5XX", "429"}
	c, err := client.New(client.WithRetryConfig(rc))              // client default
	_, err = c.Connections.Get(ctx, req, client.WithoutRetries()) // this call only
	_ = err
}

func middleware() {
	timing := func(req *http.Request, next client.MiddlewareNext) (*http.Response, error) {
		start := time.Now()
		resp, err := next(req)
		log.Printf("%s %s took %v", req.Method, req.URL.Path, time.Since(start))
		return resp, err
	}
	hooks := client.Hooks{Retry: func(ctx context.Context, call *client.Call, r client.Retry) {
		log.Printf("%s: attempt %d failed (%s), retrying in %v", call.Operation, r.Attempt, r.Reason, r.Wait)
	}}
	c, err := client.New(client.WithMiddleware(timing), client.WithHooks(hooks))
	_, _ = c, err
}
