// Package client is the Go SDK for the connections endpoints of the Ampersand public API: list, generate
// (import), get, update and delete the credentials your customers have stored for SaaS providers.
//
//	c, err := client.New(client.WithAPIKey(os.Getenv("AMPERSAND_API_KEY")))
//	if err != nil { … }
//	conns, err := c.Connections.List(ctx, client.ListConnectionsRequest{
//		ProjectIDOrName: "my-project",
//		Provider:        "salesforce",
//	})
//
// # Authentication
//
// Every request carries the API key in the X-Api-Key header: from WithAPIKey, else from the
// AMPERSAND_API_KEY environment variable; New fails without one. The key is sent only to the configured
// server's origin (scheme, host and port) — never to a redirect target on another origin, also when you
// pass your own *http.Client — and never over plain http to a host that is not loopback unless you opt in
// with WithInsecureHTTP. A request with a body (a generate's credential, an update's password) is never
// redirected to another origin at all: the redirect becomes an *APIError naming its status and target.
// Printing a Client, with any fmt verb, shows [REDACTED] for the key; no field or printed form of an error
// holds it, even when a server echoes it back, and logs print it as [REDACTED].
//
// # Operations
//
// Client.Connections has one method per operation, each taking a context, a request struct and options:
// List, All (List's connections one at a time, as an iterator, for projects of any size), Generate, Get,
// Update, Delete and CustomAuthConnect (a multi-step custom auth flow). Client.OAuth has Connect and Update,
// which return the authorization URL to send the customer's browser to. Each also exists as a standalone
// function taking the client (ConnectionsList, ConnectionsAll, ConnectionsGenerate, …,
// ConnectionsCustomAuthConnect, OAuthConnect, OAuthUpdate), like the TypeScript SDK's
// connectionsList(sdk, req); the method calls the function, so they behave identically.
//
// The models, credential types and enum constants (Connection, GenerateConnectionParams, BasicAuth,
// AuthSchemeOAuth2AuthorizationCode, …) are all in this package, generated from the OpenAPI document: it is
// the only package a program imports. Each model's documentation lists its fields, with their JSON names
// and meaning (go doc client.Connection).
//
// # Errors
//
// Branch with errors.As and errors.Is, never on error strings:
//
//   - *APIError: any reply that is not a 2xx, with StatusCode, the parsed Problem (title, detail, remedy,
//     issues, requestId, retryable, retryAfter …) when the body is a problem document, the raw Body (up to
//     64 KiB), the Header (credential headers [REDACTED]) and the number of Attempts. errors.Is(err,
//     ErrNotFound) (404), ErrUnauthorized (401), ErrForbidden (403) and ErrRateLimited (429) work on it.
//   - *ValidationError: bad input found before any I/O (an empty, "." or ".." ID, a generate without
//     provider, groupRef or consumerRef, an update with an empty mask, an invalid option). Nothing was sent.
//   - *DecodeError: a 2xx body that cannot be decoded — malformed JSON, the wrong overall shape, null, over
//     its limit, a body that would take more than 4 bytes of memory per byte to decode, or one connection
//     without a usable id (Pointer names the value at fault) — and, under WithStrictDecoding, any DecodeIssue
//     (Issues holds them). The request may have taken effect.
//   - *ConnectionError: no reply (refused or reset connection, DNS or TLS failure) or an attempt that hit
//     WithTimeout; it unwraps to the cause.
//   - A cancelled or expired context: errors.Is(err, context.Canceled) or context.DeadlineExceeded holds,
//     and errors.As still finds the *APIError of an earlier attempt, or of a reply whose body was being
//     read when the context ended.
//
// Error strings escape the server's control characters, so a hostile problem cannot forge log lines.
//
// # Decoding
//
// A success body that drifts from the schema is decoded tolerantly, not failed: a property that is absent,
// null or of another type keeps its zero value (its siblings survive), an unknown enum value is kept as
// received, and each repair is reported as a DecodeIssue — in Call.DecodeIssues for the CallEnd hooks, in
// one WARN line of the client's logger per call, and on ampotel's call span. A list element without a usable
// id is left out and reported. WithStrictDecoding turns any issue into a *DecodeError, for contract tests and
// CI jobs against the real API. See DecodeIssue.
//
// # Retries
//
// Failed attempts are retried with exponential backoff and jitter (DefaultRetryConfig: 500 ms ×1.5 up to 60
// s per wait, at most 4 attempts and 5 minutes per call, attempts included) on 5XX except 501 and 505, 429,
// 408, connection errors and per-attempt timeouts. A server's Retry-After header or problem retryAfter can
// lengthen a wait, up to MaxInterval, never shorten it; a problem's retryable: false stops at once and
// retryable: true retries any status. A wait that would pass the context's deadline is not started: the last
// error is returned at once. Generate is not idempotent, so it is retried only when the server cannot have
// created the connection (429, 503, retryable: true, or a connection that failed before sending);
// WithRetryNonIdempotent lifts that for one call. All the calls of a client share a retry budget (see
// RetryConfig.BudgetCapacity): during an outage it stops retries after 50 in all, and the calls return
// their real error, which also matches ErrRetryBudgetExhausted. Change the policy with WithRetryConfig, or
// turn it off with WithoutRetries; WithoutRetryBudget turns the budget off.
//
// # Options
//
// One Option type serves New (the client's defaults) and every call (overrides for that call only):
// WithAPIKey, WithServerURL, WithHTTPClient, WithRetryConfig, WithoutRetries, WithRetryNonIdempotent,
// WithoutRetryBudget, WithTimeout (per attempt; the context bounds the whole call), WithHeader, WithLogger,
// WithRequestEditor (each attempt edits a fresh copy of the request), WithResponseInto, WithMaxResponseBytes,
// WithInsecureHTTP, WithStrictDecoding, WithHooks (told of each call's start and end, of each retry decision
// and of the body's DecodeIssues, for progress messages and instrumentation) and WithMiddleware (wraps each
// attempt's round trip); Compose makes one option of several, for a preset. Client.CloseIdleConnections
// releases the client's idle keep-alive connections.
//
// # Notifications
//
// Webhook verifies and decodes the lifecycle notifications Ampersand delivers to a webhook endpoint (through
// Svix): NewWebhook(secret), then Verify(body, header), VerifyRequest(r) or Handler(fn). A Notification's
// Payload is one of the five connection payloads (ConnectionCreatedNotificationPayload …) or an
// *UnknownNotification; its ID is the same for every retry of a message, for detecting duplicates.
//
// # Testing
//
// Package github.com/ampersand-sdk/ampersand-go/pkg/amptest is an in-memory fake of the API, validated
// against the OpenAPI document, with programmable faults: point a client at it with WithServerURL. It also
// delivers signed notifications to the webhooks a test registers.
package client

//go:generate go -C ../../tools run ./aliasgen -gen ../gen -client ../pkg/client -o ../pkg/client/models.gen.go
