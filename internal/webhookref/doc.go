// Package webhookref tests pkg/client's webhook verification against a reference implementation: Standard
// Webhooks' Go library (github.com/standard-webhooks/standard-webhooks/libraries/go), which signs and
// verifies the scheme Ampersand's deliveries use (through Svix; the same headers named svix-* there).
//
// pkg/client implements the verification itself (crypto/hmac, some sixty lines) rather than depending on the
// library: a requirement in the SDK's go.mod, even one only its tests import, adds two lines to the go.sum
// of every program that imports pkg/client, and the library reads only the webhook-* header names, so the
// SDK would still need its own code for svix-*. The library is used here only, in a module of its own
// (`make webhookref-test`, part of `make test`), as the oracle: our verification accepts what it signs and
// refuses what it refuses.
package webhookref
