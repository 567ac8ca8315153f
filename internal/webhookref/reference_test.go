package webhookref

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// delivery is one request as a receiver sees it, with the webhook-* names (the only ones the reference reads).
type delivery struct {
	name       string
	body       string
	id, ts     string
	signatures string
	drop       string // a header to leave out
}

func (d delivery) header(prefix string) http.Header {
	h := http.Header{}
	for name, v := range map[string]string{"id": d.id, "timestamp": d.ts, "signature": d.signatures} {
		if name != d.drop {
			h.Set(prefix+name, v)
		}
	}
	return h
}

func refWebhook(t *testing.T, secret string) *standardwebhooks.Webhook {
	t.Helper()
	w, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func refSign(t *testing.T, secret, id string, at time.Time, body string) string {
	t.Helper()
	s, err := refWebhook(t, secret).Sign(id, at, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func notification(r *rand.Rand) string {
	types := []string{"connection.created", "connection.updated", "connection.refreshed", "connection.deleted", "connection.error", "installation.created"}
	return fmt.Sprintf(`{"notificationType":%q,"data":{"connectionId":"conn-%d","groupRef":"g ü\n%d"}}`, types[r.IntN(len(types))], r.Int64(), r.IntN(1000))
}

func randomSecret(r *rand.Rand) string {
	key := make([]byte, 1+r.IntN(64))
	for i := range key {
		key[i] = byte(r.UintN(256))
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// What the reference signs, ours accepts, under both header families; what ours signs is what the reference
// signs, byte for byte.
func TestOursAcceptsWhatTheReferenceSigns(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 23))
	for i := range 300 {
		secret, body := randomSecret(r), notification(r)
		id := fmt.Sprintf("msg_%d", r.Int64())
		at := time.Now().Add(time.Duration(r.IntN(540)-270) * time.Second)
		sig := refSign(t, secret, id, at, body)
		d := delivery{body: body, id: id, ts: strconv.FormatInt(at.Unix(), 10), signatures: sig}
		ours, err := client.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if got := ours.Sign(id, at, []byte(body)); got != sig {
			t.Fatalf("case %d: ours signs %s, the reference %s", i, got, sig)
		}
		for _, prefix := range []string{"webhook-", "svix-"} {
			if _, err := ours.Verify([]byte(body), d.header(prefix)); err != nil {
				t.Fatalf("case %d (%s*): ours refuses what the reference signed: %v", i, prefix, err)
			}
		}
		if err := refWebhook(t, secret).Verify([]byte(body), d.header("webhook-")); err != nil {
			t.Fatalf("case %d: the reference refuses its own signature: %v", i, err)
		}
	}
}

// For each way a delivery can be altered, ours and the reference reach the same verdict, and ours names the
// reference's reason with its own error.
func TestOursRefusesWhatTheReferenceRefuses(t *testing.T) {
	const secret, other = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_b3RoZXIgc2VjcmV0"
	body := `{"notificationType":"connection.created","data":{"connectionId":"conn-1"}}`
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	good := refSign(t, secret, "msg_1", now, body)
	mac := strings.TrimPrefix(good, "v1,")
	stale, future := now.Add(-6*time.Minute), now.Add(6*time.Minute)
	base := delivery{body: body, id: "msg_1", ts: ts, signatures: good}
	with := func(name string, edit func(*delivery)) delivery { d := base; d.name = name; edit(&d); return d }
	cases := []delivery{
		with("as signed", func(*delivery) {}),
		with("tampered body", func(d *delivery) { d.body = strings.Replace(body, "conn-1", "conn-2", 1) }),
		with("body with a trailing newline", func(d *delivery) { d.body += "\n" }),
		with("tampered id", func(d *delivery) { d.id = "msg_2" }),
		with("tampered timestamp", func(d *delivery) { d.ts = strconv.FormatInt(now.Unix()+1, 10) }),
		with("another secret", func(d *delivery) { d.signatures = refSign(t, other, "msg_1", now, body) }),
		with("rotation: old then new", func(d *delivery) { d.signatures = refSign(t, other, "msg_1", now, body) + " " + good }),
		with("rotation: new then old", func(d *delivery) { d.signatures = good + " " + refSign(t, other, "msg_1", now, body) }),
		with("two spaces", func(d *delivery) { d.signatures = "v1,abc  " + good }),
		with("tab-separated", func(d *delivery) { d.signatures = "v1,abc\t" + good }),
		with("another version", func(d *delivery) { d.signatures = "v1a," + mac }),
		with("no version", func(d *delivery) { d.signatures = mac }),
		with("upper-case version", func(d *delivery) { d.signatures = "V1," + mac }),
		with("garbled", func(d *delivery) { d.signatures = "not a signature" }),
		with("signature with padding stripped", func(d *delivery) { d.signatures = strings.TrimRight(good, "=") }),
		with("stale", func(d *delivery) {
			d.ts, d.signatures = strconv.FormatInt(stale.Unix(), 10), refSign(t, secret, "msg_1", stale, body)
		}),
		with("future", func(d *delivery) {
			d.ts, d.signatures = strconv.FormatInt(future.Unix(), 10), refSign(t, secret, "msg_1", future, body)
		}),
		with("timestamp with a plus sign", func(d *delivery) { d.ts = "+" + ts }),
		with("timestamp with a leading zero", func(d *delivery) { d.ts = "0" + ts }),
		with("timestamp in milliseconds", func(d *delivery) { d.ts = strconv.FormatInt(now.UnixMilli(), 10) }),
		with("timestamp not a number", func(d *delivery) { d.ts = "yesterday" }),
		with("no id", func(d *delivery) { d.drop = "id" }),
		with("no timestamp", func(d *delivery) { d.drop = "timestamp" }),
		with("no signature", func(d *delivery) { d.drop = "signature" }),
		with("empty id", func(d *delivery) { d.id = "" }),
	}
	ref := refWebhook(t, secret)
	ours, err := client.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range cases {
		refErr := ref.Verify([]byte(d.body), d.header("webhook-"))
		for _, prefix := range []string{"webhook-", "svix-"} {
			_, ourErr := ours.Verify([]byte(d.body), d.header(prefix))
			if (refErr == nil) != (ourErr == nil) {
				t.Errorf("%s (%s*): the reference says %v, ours %v", d.name, prefix, refErr, ourErr)
				continue
			}
			if refErr != nil && !sameReason(refErr, ourErr) {
				t.Errorf("%s (%s*): the reference's %v is not ours' %v", d.name, prefix, refErr, ourErr)
			}
		}
	}
}

// sameReason maps the reference's errors to ours. The reference calls a signature header without a
// "<version>,<signature>" entry non-matching; ours calls it malformed, a finer reason for the same refusal.
func sameReason(ref, ours error) bool {
	switch {
	case errors.Is(ref, standardwebhooks.ErrRequiredHeaders):
		return errors.Is(ours, client.ErrWebhookMissingHeader)
	case errors.Is(ref, standardwebhooks.ErrInvalidHeaders):
		return errors.Is(ours, client.ErrWebhookMalformedHeader)
	case errors.Is(ref, standardwebhooks.ErrMessageTooOld), errors.Is(ref, standardwebhooks.ErrMessageTooNew):
		return errors.Is(ours, client.ErrWebhookTimestamp)
	case errors.Is(ref, standardwebhooks.ErrNoMatchingSignature):
		return errors.Is(ours, client.ErrWebhookSignature) || errors.Is(ours, client.ErrWebhookMalformedHeader)
	}
	return false
}

// Secrets: what the reference accepts, ours accepts, and the reverse.
func TestSecretsAsTheReferenceReadsThem(t *testing.T) {
	for _, s := range []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "", "whsec_", "whsec_!!", "whsec_YQ", "whsec_YQ==", "whsec_whsec_YQ=="} {
		_, refErr := standardwebhooks.NewWebhook(s)
		_, ourErr := client.NewWebhook(s)
		if (refErr == nil) != (ourErr == nil) {
			t.Errorf("%q: the reference says %v, ours %v", s, refErr, ourErr)
		}
	}
}
