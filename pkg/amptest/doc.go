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
// The server implements listConnections, generateConnection, getConnection, updateConnection and
// deleteConnection on in-memory state. Every request is checked, in this order, against the route table (404
// or 405 problem), the API key (401 problem) and the OpenAPI document of this module (400
// InputValidationProblem with one issue per violation, naming where it is — path, query, header or body — and
// the parameter or body field, such as "connection.basicAuth.username"). Every reply the server builds is
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
// # Inspection, seeding and faults
//
// SeedConnection stores a connection without HTTP; Connections, Connection and Credentials return the stored
// state, credentials included, for assertions; Requests returns every request received, with the API key
// redacted. InjectFault makes the next calls of an operation fail in a chosen way: an error status with a
// problem or a raw body, a delay, a TCP reset before or in the middle of the reply, a truncated body, a
// proxy's HTML error page, or an empty 200.
package amptest
