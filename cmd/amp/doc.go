// Command amp is a command-line client for the connections endpoints of the Ampersand API, built on
// package github.com/ampersand-sdk/ampersand-go/pkg/client, plus a standalone fake of the API for tests in
// any language.
//
//	go install github.com/ampersand-sdk/ampersand-go/cmd/amp@latest
//
// # Usage
//
//	amp connections list     --project P [--provider X] [--group-ref G] [--consumer-ref C]
//	amp connections get      ID --project P [--include-creds] [--include-refresh-token] [--refresh force|ifExpired] [--show-secrets]
//	amp connections generate --project P --provider X --group-ref G --consumer-ref C [--group-name N] [--consumer-name N]
//	                         [--workspace-ref W] [one credential: --api-key-credential-file F |
//	                         --basic-username U --basic-password-file F | --client-id I --client-secret-file F [--scopes a,b]]
//	amp connections generate --project P --params-file params.json   # or - for stdin
//	amp connections update   ID --project P [--mask field,...] [--workspace-ref W] [one credential, as for generate]
//	amp connections update   ID --project P --params-file update.json
//	amp connections delete   ID --project P
//	amp fake serve [--addr 127.0.0.1:0] [--key KEY] [--webhook-url URL --webhook-secret SECRET]
//	amp webhooks listen [--addr 127.0.0.1:0] [--secret-file PATH]   # prints each verified notification
//	amp completion bash|zsh|fish|powershell
//
// Secrets are never taken as flag values, which would end up in shell history and process listings: the
// Ampersand API key comes from the AMPERSAND_API_KEY environment variable or --api-key-file, and provider
// credentials from files (a path, or - for stdin).
//
// Global flags: --api-key-file PATH, --server-url URL (default $AMPERSAND_SERVER_URL, else the real API),
// --timeout DURATION (the whole call, retries included; default 30s, 0: none), --attempt-timeout DURATION,
// --max-attempts N (1 disables retries), --insecure-http, --verbose, --quiet and -o table|json|jsonl
// (default: table when stdout is a terminal, JSON otherwise). JSON output is the API's JSON; list prints an
// array, or with jsonl one object per line, streamed. Credential values in get output are masked unless
// --show-secrets is given. When stderr is a terminal, amp says what it is waiting for ("amp: waiting for a
// reply from URL (listConnections, attempt 1; 3s so far, --timeout 30s)", "amp: attempt 1 failed: 503
// Service Unavailable; retrying in 0.5s") unless --quiet is given; a wait that runs out ends with one line
// naming the server and the flag that bounds it. delete confirms what it deleted. A mistyped flag gets a
// suggestion ("did you mean --project?").
//
// # Exit codes
//
//	0  success
//	1  any other failure: interrupted, output could not be written, the fake server could not listen
//	2  usage error: bad flags or arguments, unreadable input file, missing API key, or input the SDK
//	   refused before sending anything (*client.ValidationError)
//	3  the API answered 4xx (*client.APIError): not found, unauthorized, invalid request, …
//	4  the API answered 5xx or could not be reached: *client.APIError 5xx (after retries),
//	   *client.ConnectionError (refused, reset, timed out), *client.DecodeError (a malformed reply)
//
// Errors are printed on stderr with the problem's title, detail, remedy, issues and request ID.
//
// # The fake server
//
// amp fake serve runs package github.com/ampersand-sdk/ampersand-go/pkg/amptest as a standalone server,
// like stripe-mock. It prints two lines on stdout and serves until SIGINT or SIGTERM:
//
//	AMPERSAND_SERVER_URL=http://127.0.0.1:41234/v1
//	AMPERSAND_API_KEY=amptest-…
//
// amp itself reads both variables, so exporting them points amp (and any program that reads them) at the fake.
// --env-file PATH also writes them to a file once the fake listens (and removes it when it stops), for
// scripts that start the fake in the background. The requests it received are at /_amptest/requests on the
// same origin (GET reads, DELETE resets, with the X-Api-Key header). With --webhook-url it delivers signed
// lifecycle notifications (connection.created, .updated, .refreshed, .deleted, .error) to that URL, as
// Ampersand does through Svix.
//
// # Notifications
//
// amp webhooks listen is a webhook endpoint on a local port: it verifies each delivery with the secret from
// $AMPERSAND_WEBHOOK_SECRET or --secret-file (a random one, printed, when neither is given), prints each
// notification on stdout (a line of text on a terminal, else one JSON object per line) and reports refused
// deliveries on stderr. It prints AMPERSAND_WEBHOOK_URL=… first, for amp fake serve --webhook-url.
package main
