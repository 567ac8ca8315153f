package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Webhook verifies and decodes the notifications Ampersand delivers to one webhook endpoint. Ampersand sends
// them through Svix: each request carries svix-id (the message id), svix-timestamp (Unix seconds) and
// svix-signature, one or more space-separated "v1,<base64>" entries (several while the endpoint's secret is
// being rotated), each the HMAC-SHA256, keyed with the endpoint's secret, of "{id}.{timestamp}.{body}". The
// same headers named webhook-id, webhook-timestamp and webhook-signature (the Standard Webhooks
// specification's names) are accepted too.
//
// A Webhook is safe for concurrent use. It holds the secret so that it is never printed: fmt shows
// [REDACTED] for it, and no error holds it.
//
// The verification is this package's own, some sixty lines of crypto/hmac, rather than a dependency, so that
// a program importing client links nothing more; a test in internal/webhookref proves that it accepts what
// Standard Webhooks' reference library signs and refuses what that library refuses.
type Webhook struct {
	key       apiKey // the decoded secret, held (and redacted) like the API key
	tolerance time.Duration
	maxBody   int64
	strict    bool // WithWebhookStrictDecoding
}

// DefaultWebhookTolerance is how far a notification's timestamp may be from the receiver's clock, in either
// direction, before Verify refuses it (ErrWebhookTimestamp): the bound on replaying a captured request.
const DefaultWebhookTolerance = 5 * time.Minute

// DefaultWebhookMaxBodyBytes is the largest body VerifyRequest and Handler read (1 MiB); a larger one is
// refused with ErrWebhookBodyTooLarge without being read further.
const DefaultWebhookMaxBodyBytes = 1 << 20

// Errors of Verify, VerifyRequest and NewWebhook. Match them with errors.Is; the returned error wraps one of
// them and says which header or value is at fault (never the secret).
var (
	// ErrWebhookSecret: the secret is not "whsec_<base64>" (or bare base64) of at least one byte.
	ErrWebhookSecret = errors.New("ampersand: malformed webhook secret")
	// ErrWebhookMissingHeader: the id, timestamp or signature header is absent or empty.
	ErrWebhookMissingHeader = errors.New("ampersand: webhook header missing")
	// ErrWebhookMalformedHeader: the timestamp is not an integer, or no signature entry has the form
	// "<version>,<signature>".
	ErrWebhookMalformedHeader = errors.New("ampersand: webhook header malformed")
	// ErrWebhookTimestamp: the timestamp is further than the tolerance from now, in the past or the future.
	ErrWebhookTimestamp = errors.New("ampersand: webhook timestamp outside the tolerance")
	// ErrWebhookSignature: no signature matches the body, id and timestamp under the secret (a tampered body
	// or header, or another endpoint's secret).
	ErrWebhookSignature = errors.New("ampersand: webhook signature does not match")
	// ErrWebhookBodyTooLarge: the request's body is larger than the Webhook's limit.
	ErrWebhookBodyTooLarge = errors.New("ampersand: webhook body too large")
	// ErrWebhookMalformedBody: the signed body is not a notification (not a JSON object with a
	// notificationType, or a property of the wrong type).
	ErrWebhookMalformedBody = errors.New("ampersand: webhook body is not a notification")
)

// WebhookOption configures a Webhook.
type WebhookOption func(*Webhook)

// WithWebhookStrictDecoding makes a notification whose body drifts from the schema (any DecodeIssue) fail
// with ErrWebhookMalformedBody instead of being returned with its Issues: Handler then answers 400.
func WithWebhookStrictDecoding() WebhookOption { return func(w *Webhook) { w.strict = true } }

// WithWebhookTolerance sets how far a notification's timestamp may be from now (DefaultWebhookTolerance when
// not set; a value ≤ 0 keeps the default).
func WithWebhookTolerance(d time.Duration) WebhookOption {
	return func(w *Webhook) {
		if d > 0 {
			w.tolerance = d
		}
	}
}

// WithWebhookMaxBodyBytes sets the largest body VerifyRequest and Handler read (DefaultWebhookMaxBodyBytes
// when not set; a value ≤ 0 keeps the default).
func WithWebhookMaxBodyBytes(n int64) WebhookOption {
	return func(w *Webhook) {
		if n > 0 {
			w.maxBody = n
		}
	}
}

// webhookSecretPrefix starts the secrets Svix shows; the rest is the base64 of the key.
const webhookSecretPrefix = "whsec_"

// NewWebhook returns a Webhook for the endpoint whose secret is secret ("whsec_…" as Ampersand's dashboard
// shows it; bare base64 is accepted too). It fails with ErrWebhookSecret when the secret is malformed.
func NewWebhook(secret string, opts ...WebhookOption) (*Webhook, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, webhookSecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("%w: want %s followed by the base64 of the key", ErrWebhookSecret, webhookSecretPrefix)
	}
	w := &Webhook{key: newAPIKey(string(key)), tolerance: DefaultWebhookTolerance, maxBody: DefaultWebhookMaxBodyBytes}
	for _, o := range opts {
		o(w)
	}
	return w, nil
}

// String prints the Webhook without its secret.
func (w *Webhook) String() string {
	return fmt.Sprintf("client.Webhook{secret: %s, tolerance: %s, maxBody: %d}", redacted, w.tolerance, w.maxBody)
}

// GoString is String, for %#v.
func (w *Webhook) GoString() string { return w.String() }

// Sign returns the signature header value ("v1,<base64>") of a message with this id, timestamp and body: what
// Ampersand sends in svix-signature. Verify accepts it. Tests use it to build deliveries (pkg/amptest signs
// its notifications with it).
func (w *Webhook) Sign(id string, t time.Time, body []byte) string {
	return "v1," + w.signature(id, strconv.FormatInt(t.Unix(), 10), body)
}

func (w *Webhook) signature(id, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, w.key().bytes)
	mac.Write([]byte(id + "." + timestamp + "."))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// The header names of the two families: Svix's, which Ampersand sends, and Standard Webhooks'.
var webhookHeaders = [2][3]string{
	{"svix-id", "svix-timestamp", "svix-signature"},
	{"webhook-id", "webhook-timestamp", "webhook-signature"},
}

// Verify checks that body and header are a notification signed with the Webhook's secret within the
// tolerance, then decodes it. The svix-* headers are read unless only webhook-* ones are present. It accepts
// the request when any one of the space-separated signatures matches (compared in constant time); entries of
// other versions than v1 are ignored.
//
// The errors wrap ErrWebhookMissingHeader, ErrWebhookMalformedHeader, ErrWebhookTimestamp,
// ErrWebhookSignature or ErrWebhookMalformedBody. Nothing of the body is trusted before the signature is
// verified.
func (w *Webhook) Verify(body []byte, header http.Header) (*Notification, error) {
	names := webhookHeaders[0]
	if !anyHeader(header, names) && anyHeader(header, webhookHeaders[1]) {
		names = webhookHeaders[1]
	}
	var vals [3]string
	for i, name := range names {
		if vals[i] = header.Get(name); vals[i] == "" {
			return nil, fmt.Errorf("%w: %s", ErrWebhookMissingHeader, name)
		}
	}
	id, ts, sigs := vals[0], vals[1], vals[2]
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %.40q is not Unix seconds", ErrWebhookMalformedHeader, names[1], ts)
	}
	sent := time.Unix(secs, 0)
	switch age := time.Since(sent); {
	case age > w.tolerance:
		return nil, fmt.Errorf("%w: %s is %s old (tolerance %s)", ErrWebhookTimestamp, names[1], age.Truncate(time.Second), w.tolerance)
	case age < -w.tolerance:
		return nil, fmt.Errorf("%w: %s is %s in the future (tolerance %s)", ErrWebhookTimestamp, names[1], -age.Truncate(time.Second), w.tolerance)
	}
	// The signed timestamp is the number as formatted by the sender ("+17" and "017" sign as "17"), and the
	// entries are separated by single spaces, as in Svix's and Standard Webhooks' own libraries.
	want := []byte("v1," + w.signature(id, strconv.FormatInt(secs, 10), body))
	wellFormed := false
	for _, s := range strings.Split(sigs, " ") {
		if v, sig, ok := strings.Cut(s, ","); ok && v != "" && sig != "" {
			wellFormed = true
		}
		if hmac.Equal([]byte(s), want) {
			return decodeNotification(id, sent, body, w.strict)
		}
	}
	if !wellFormed {
		return nil, fmt.Errorf("%w: %s has no \"<version>,<signature>\" entry", ErrWebhookMalformedHeader, names[2])
	}
	return nil, fmt.Errorf("%w: none of the %s entries", ErrWebhookSignature, names[2])
}

func anyHeader(h http.Header, names [3]string) bool {
	return h.Get(names[0]) != "" || h.Get(names[1]) != "" || h.Get(names[2]) != ""
}

// VerifyRequest is Verify for an incoming request: it reads the body, at most the Webhook's limit
// (ErrWebhookBodyTooLarge beyond it), and verifies it with the request's headers. It does not close the body
// (the http.Server does).
func (w *Webhook) VerifyRequest(r *http.Request) (*Notification, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, w.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("ampersand: reading the webhook body: %w", err)
	}
	if int64(len(body)) > w.maxBody {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrWebhookBodyTooLarge, w.maxBody)
	}
	return w.Verify(body, r.Header)
}

// VerifyNotification is NewWebhook(secret, opts...) followed by Verify(body, header). A program that
// receives many notifications keeps one Webhook instead.
func VerifyNotification(body []byte, header http.Header, secret string, opts ...WebhookOption) (*Notification, error) {
	w, err := NewWebhook(secret, opts...)
	if err != nil {
		return nil, err
	}
	return w.Verify(body, header)
}
