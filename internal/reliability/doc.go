// Package reliability holds the SDK's reliability and security suite, tests only: a fault matrix (every
// injected network and server fault × every operation, with attempts, outcome, server state, closed bodies
// and leaked goroutines checked per cell), a webhook delivery matrix (every delivery fault × every lifecycle
// event of the fake, with attempts and verified notifications checked per cell), cancellation and deadline latency, hostile IDs and bodies, huge and
// endless responses, and secret-leak checks of errors, logs, the fake's recorder and redirects.
//
// Run it with `go test -race -v ./internal/reliability/` to see the matrix and the measured figures; the
// README's "Reliability" section reports them.
package reliability
