package amptest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// The OAuth flows offline: the SDK asks for an authorization URL, ApproveOAuth plays the customer's browser
// granting access, and the connection exists. A denied consent is a fault of the consent step.
func ExampleServer_ApproveOAuth() {
	srv := amptest.NewServer()
	defer srv.Close()
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	u, err := c.OAuth.Connect(ctx, client.OAuthConnectRequest{Params: client.OAuthConnectParams{
		ProjectIDOrName: "my-project", Provider: "salesforce", GroupRef: "group-1", ConsumerRef: "user-1",
	}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.Path)

	srv.InjectFault(amptest.OpOAuthConsent, amptest.Fault{Status: http.StatusForbidden}) // the consent fails: denied
	_, err = srv.ApproveOAuth(ctx, u.String())
	fmt.Println(errors.Is(err, amptest.ErrConsentDenied))

	conn, err := srv.ApproveOAuth(ctx, u.String()) // the customer tries again and grants access
	fmt.Println(conn.Provider, conn.AuthScheme, conn.Status, err)

	// Re-authorize it: new tokens for the same connection.
	u, err = c.OAuth.Update(ctx, client.OAuthUpdateRequest{ProjectIDOrName: "my-project", ConnectionID: conn.ID})
	if err != nil {
		log.Fatal(err)
	}
	again, err := srv.ApproveOAuth(ctx, u.String())
	fmt.Println(again.ID == conn.ID, again.OAuth2AuthorizationCode.RefreshToken != conn.OAuth2AuthorizationCode.RefreshToken, err)

	_, err = srv.ApproveOAuth(ctx, u.String()) // each URL works once
	fmt.Println(errors.Is(err, amptest.ErrFlowUsed))

	for _, r := range srv.Requests() {
		fmt.Println(r.Operation, r.Method, strings.Replace(r.Path, conn.ID, "CONN", 1))
	}
	// Output:
	// /oauth/authorize
	// true
	// salesforce oauth2/authorizationCode working <nil>
	// true true <nil>
	// true
	// oauthConnect POST /v1/oauth-connect
	// oauthConsentPage GET /oauth/authorize
	// oauthConsent POST /oauth/authorize
	// oauthConsentPage GET /oauth/authorize
	// oauthConsent POST /oauth/authorize
	// oauthUpdate PATCH /v1/projects/my-project/connections/CONN:oauth-update
	// oauthConsentPage GET /oauth/authorize
	// oauthConsent POST /oauth/authorize
	// oauthConsentPage GET /oauth/authorize
}

// A custom auth flow offline: each redirect is played by CompleteCustomAuth, whose callback parameters
// resume the flow until it answers the connection.
func ExampleServer_CompleteCustomAuth() {
	srv := amptest.NewServer()
	defer srv.Close()
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	step, err := c.Connections.CustomAuthConnect(ctx, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
		ProjectIDOrName: "my-project", Provider: "bill", GroupRef: "group-1", ConsumerRef: "user-1",
		CustomAuth: map[string]any{"userName": "admin@acme.example", "password": "hunter2"},
	}})
	for err == nil && step.Redirect != nil {
		var params map[string]string
		if params, err = srv.CompleteCustomAuth(ctx, step.Redirect.URL.String()); err != nil {
			break
		}
		fmt.Println("callback parameters:", len(params), params["tenant"] != "")
		step, err = c.Connections.CustomAuthConnect(ctx, client.CustomAuthConnectRequest{Params: client.CustomAuthConnectParams{
			ProjectIDOrName: "my-project", SessionID: step.Redirect.SessionID, CallbackParams: params,
		}})
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(step.Connection.Provider, step.Connection.AuthScheme, step.Connection.Status)
	creds, _ := srv.Credentials("my-project", step.Connection.ID)
	fmt.Println(creds.CustomAuth["userName"])
	for _, r := range srv.Requests() {
		fmt.Println(r.Operation, r.Method, r.Path)
	}
	// Output:
	// callback parameters: 1 true
	// bill none created
	// admin@acme.example
	// customAuthConnect POST /v1/custom-auth/connect
	// customAuthProvider GET /custom-auth/provider
	// customAuthCallback GET /custom-auth/callback
	// customAuthConnect POST /v1/custom-auth/connect
}
