package client

import (
	"context"
	"errors"
	"net/http"
)

// Handler returns the http.Handler of a webhook endpoint: it verifies each POST (VerifyRequest, the body
// bounded by the Webhook's limit), hands the notification to fn with the request's context, and answers so
// that the sender retries exactly when it should:
//
//   - 204 No Content when fn returns nil: the message is done.
//   - 400 Bad Request for a missing, malformed or stale header, a signature that does not match, or a body
//     that is not a notification; 413 for a body over the limit; 405 for a method other than POST. Retrying
//     the same request cannot succeed, and the answer says why (never the secret).
//   - 500 Internal Server Error when fn returns an error: the sender retries later, with the same message id.
//     The error is not sent back; log it in fn.
//
// fn may be called more than once for one message (see Notification, "Duplicates"), and concurrently for
// different ones.
func (w *Webhook) Handler(fn func(ctx context.Context, n *Notification) error) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			rw.Header().Set("Allow", http.MethodPost)
			http.Error(rw, "a webhook accepts POST only", http.StatusMethodNotAllowed)
			return
		}
		n, err := w.VerifyRequest(r)
		switch {
		case errors.Is(err, ErrWebhookBodyTooLarge):
			http.Error(rw, err.Error(), http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		if err := fn(r.Context(), n); err != nil {
			http.Error(rw, "the notification's handler failed", http.StatusInternalServerError)
			return
		}
		rw.WriteHeader(http.StatusNoContent)
	})
}
