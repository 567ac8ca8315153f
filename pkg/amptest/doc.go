// Package amptest is an in-memory fake of the Ampersand connections API for tests, in the spirit of
// stripe-mock but in-process like net/http/httptest.
//
// NewServer starts a real HTTP server on a loopback address. Point the code under test at Server.URL (in place
// of https://api.withampersand.com/v1) with Server.APIKey in the X-Api-Key header:
//
//	srv := amptest.NewServer()
//	t.Cleanup(srv.Close)
//	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey))
//
// (client is package github.com/ampersand-sdk/ampersand-go/pkg/client; any HTTP client works the same way.)
//
// # Behaviour
//
// The server implements listConnections, generateConnection, getConnection, updateConnection,
// deleteConnection, oauthConnect, oauthUpdate and customAuthConnect on in-memory state. Every request is checked, in this order, against the route table (404
// or 405 problem), the API key (401 problem), the OpenAPI document of this module (400
// InputValidationProblem with one issue per violation, naming where it is — path, query, header or body — and
// the parameter or body field, such as "connection.basicAuth.username"; 422 for generateConnection, whose
// document declares 422 for invalid input, as Prism answers) and the Accept header (406 problem when it admits
// none of the media types of the operation's success reply: text/plain for the OAuth URLs, application/json
// for the others; no Accept, */* and type/* admit all). Routing reads the escaped path: "%3A" inside a segment
// is part of an ID, a literal ":oauth-update" is the custom method. Every reply the server builds is
// itself validated against the document before it is sent; a reply that does not match is replaced by a 500
// problem whose detail starts with "amptest: invalid response:", so a bug in the fake cannot pass silently.
//
// Projects are created on first use and can be addressed by their generated ID or by the name they were
// first used with; WithProject declares one with a known ID. Each generateConnection call creates a new
// connection (tests can count connections to detect double creation); groups and consumers are shared by
// ref within a project. Credentials never appear in listConnections, generateConnection or updateConnection
// replies; getConnection shows apiKey and the OAuth2 access token and scopes with includeCreds=true, and the
// refresh token too with includeRefreshToken=true. Its refresh parameter renews the access token of
// oauth2/authorizationCode connections (force: always; ifExpired: when it expired, or has no expiry).
//
// The fake's own problems are application/problem+json with type about:blank, title
// http.StatusText(status), status, detail, subsystem "amptest", time, requestId (also sent as the X-Request-Id
// header of every reply) and retryable false. Injected faults choose their own (see FaultStatus).
//
// # Connect flows, browser included
//
// The OAuth and custom auth flows run offline: the URLs the fake hands out point at the fake itself (its
// origin, Server.URL without /v1), where a small simulated provider plays what the customer's browser
// meets. These browser steps are not API operations: they need no API key, answer HTML pages that are not
// validated against the spec, and are recorded (Requests) with their own Operation.
//
// oauthConnect answers (text/plain) an authorization URL <origin>/oauth/authorize?state=<random>; the state
// remembers the request and the time. oauthUpdate does the same for an existing connection, which must exist
// (404 problem) and have auth scheme oauth2/authorizationCode (else a 400 InputValidationProblem, "connection
// <id> does not use OAuth2", with an issue naming connectionId). A browser's GET of the URL (a request that
// accepts text/html: OpOAuthConsentPage) answers the provider's consent page, which names the provider, the
// consumer and the group and changes nothing. Its form POSTs Allow or Deny to the same path (OpOAuthConsent),
// the provider's consent and Ampersand's callback at once. Allow creates the connection (auth scheme
// oauth2/authorizationCode, fresh access and refresh tokens minted by the fake, scopes read and write,
// status working, group and consumer as generateConnection makes them, providerWorkspaceRef and
// providerMetadata from the request; providerAppId and enableCSRFProtection are ignored), or re-authorizes
// the connection (new tokens, same scopes, status working, updateTime now), and names it in the
// HeaderConnectionID header; Deny changes nothing (HeaderError access_denied). With WithOAuthRedirectURL
// both end with a 303 back to the app (connection_id=<ID>, or error=access_denied), else on a page of the
// fake. A GET by a client that is not a browser (amp fake approve, curl) has no page to click: it allows at
// once. Each state works once and for FlowLifetime (10 minutes, by the server's clock: see WithClock); an
// unknown state is a 400 page, a used one 409, an expired one 410, and a failed
// consent changes nothing. Server.ApproveOAuth plays the browser and returns the connection.
//
// customAuthConnect's first call (provider, groupRef, consumerRef and customAuth required) answers a redirect
// to the fake provider, <origin>/custom-auth/provider?session=<sessionId>. A GET of it (OpCustomAuthProvider)
// answers 302 to Ampersand's callback, <origin>/custom-auth/callback?session=<sessionId>&tenant=<random>,
// whose GET (OpCustomAuthCallback) answers a 200 page. The resume call, with the sessionId and exactly the
// callback parameters the provider issued ({"tenant": …}), creates the connection from the first call's
// inputs and answers it, credentials hidden. The spec's AuthScheme has no custom value, so the connection's
// auth scheme is none and its status created; customAuth is stored as its credential, which Credentials
// shows. An unknown sessionId (or one of another project) or an expired one is a 400 InputValidationProblem
// with an issue naming sessionId, a completed one 409, and callback parameters that are missing, different or
// extra are a 400 with one issue each ("callbackParams.tenant"); none creates anything. Server.CompleteCustomAuth
// plays the browser through the provider and the callback and returns the callback parameters.
//
// A fault injected on a browser step fails it as a provider would: InjectFault(OpOAuthConsent, Fault{Status:
// 403}) denies the next consent (ErrConsentDenied), leaving the state usable. The helpers report failed steps
// as a *BrowserError, which errors.Is matches with ErrConsentDenied, ErrFlowUnknown, ErrFlowUsed or
// ErrFlowExpired.
//
// # Inspection, seeding and faults
//
// SeedConnection stores a connection without HTTP; Connections, Connection and Credentials return the stored
// state, credentials included, for assertions; Requests returns every request received, with the API key
// redacted. InjectFault makes the next calls of an operation fail in a chosen way: an error status with a
// problem or a raw body, a delay, a TCP reset before or in the middle of the reply, a truncated body, a
// proxy's HTML error page, or an empty 200 — for the API operations and for the browser steps alike.
//
// # Notifications
//
// With WithWebhook(url, secret) the server delivers the connection lifecycle notifications Ampersand sends
// (connection.created, .updated, .refreshed, .deleted, .error), signed as Svix signs them, to each registered
// endpoint when its state changes; RevokeGrant plays a customer revoking access (connection.error).
// Deliveries are asynchronous, retried on WithDeliverySchedule, recorded (Deliveries; WaitForDelivery waits
// for one without sleeping) and faultable (InjectDeliveryFault). Verify them in the receiver with
// client.Webhook.
package amptest
