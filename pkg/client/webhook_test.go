package client_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// Secrets as Svix shows them: whsec_ and the base64 of the key.
const (
	testSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	otherSecret = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24="
)

func newWebhook(t *testing.T, secret string, opts ...client.WebhookOption) *client.Webhook {
	t.Helper()
	w, err := client.NewWebhook(secret, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// signedHeader is what Ampersand (through Svix) sends with body: svix-* headers, signed with secret at t.
func signedHeader(t *testing.T, secret, id string, at time.Time, body string) http.Header {
	t.Helper()
	h := http.Header{}
	h.Set("svix-id", id)
	h.Set("svix-timestamp", strconv.FormatInt(at.Unix(), 10))
	h.Set("svix-signature", newWebhook(t, secret).Sign(id, at, []byte(body)))
	return h
}

func notificationBody(typ string) string {
	data := `{"projectId":"p-1","connectionId":"conn-1","provider":"salesforce","groupRef":"g-1","consumerRef":"u-1","consumerName":"Ada"`
	if typ == "connection.error" {
		data += `,"errors":["token refresh failed: invalid_grant"]`
	}
	return `{"notificationType":"` + typ + `","data":` + data + `}}`
}

var payloadTypes = map[client.NotificationType]any{
	client.NotificationTypeConnectionCreated:   (*client.ConnectionCreatedNotificationPayload)(nil),
	client.NotificationTypeConnectionUpdated:   (*client.ConnectionUpdatedNotificationPayload)(nil),
	client.NotificationTypeConnectionRefreshed: (*client.ConnectionRefreshedNotificationPayload)(nil),
	client.NotificationTypeConnectionDeleted:   (*client.ConnectionDeletedNotificationPayload)(nil),
	client.NotificationTypeConnectionError:     (*client.ConnectionErrorNotificationPayload)(nil),
}

func TestWebhookVerifiesEachConnectionNotification(t *testing.T) {
	w := newWebhook(t, testSecret)
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	for _, typ := range client.NotificationTypeValues() {
		body := notificationBody(string(typ))
		n, err := w.Verify([]byte(body), signedHeader(t, testSecret, "msg_"+string(typ), at, body))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if n.ID != "msg_"+string(typ) || !n.Timestamp.Equal(at) || n.Type != typ || string(n.Body) != body {
			t.Errorf("%s: got id %q at %v type %q body %s", typ, n.ID, n.Timestamp, n.Type, n.Body)
		}
		var connID string
		switch p := n.Payload.(type) {
		case *client.ConnectionCreatedNotificationPayload:
			connID = p.Data.ConnectionID
		case *client.ConnectionUpdatedNotificationPayload:
			connID = p.Data.ConnectionID
		case *client.ConnectionRefreshedNotificationPayload:
			connID = p.Data.ConnectionID
		case *client.ConnectionDeletedNotificationPayload:
			connID = p.Data.ConnectionID
		case *client.ConnectionErrorNotificationPayload:
			connID = p.Data.ConnectionID
			if len(p.Data.Errors) != 1 || p.Data.ConsumerName != "Ada" {
				t.Errorf("connection.error data = %+v", p.Data)
			}
		default:
			t.Fatalf("%s: payload %T", typ, n.Payload)
		}
		if want := payloadTypes[typ]; reflect.TypeOf(n.Payload) != reflect.TypeOf(want) {
			t.Errorf("%s: payload %T, want %T", typ, n.Payload, want)
		}
		if connID != "conn-1" {
			t.Errorf("%s: connectionId %q", typ, connID)
		}
	}
}

func TestWebhookUnknownTypeIsNotAnError(t *testing.T) {
	body := `{"notificationType":"installation.created","data":{"installationId":"i-1","extra":[1,2]}}`
	n, err := newWebhook(t, testSecret).Verify([]byte(body), signedHeader(t, testSecret, "msg_1", time.Now(), body))
	if err != nil {
		t.Fatal(err)
	}
	u, ok := n.Payload.(*client.UnknownNotification)
	if !ok || u.Type != "installation.created" || string(u.Raw) != body || n.Type != "installation.created" {
		t.Fatalf("payload %#v, type %q", n.Payload, n.Type)
	}
}

func TestWebhookTolerantOfNewProperties(t *testing.T) {
	body := `{"notificationType":"connection.created","sentAt":"x","data":{"connectionId":"c-9","newField":{"a":1}}}`
	n, err := newWebhook(t, testSecret).Verify([]byte(body), signedHeader(t, testSecret, "msg_1", time.Now(), body))
	if err != nil {
		t.Fatal(err)
	}
	if p := n.Payload.(*client.ConnectionCreatedNotificationPayload); p.Data.ConnectionID != "c-9" {
		t.Fatalf("data %+v", p.Data)
	}
}

// Each way a delivery can be wrong has its own error, and none matches another's.
func TestWebhookErrorsSayWhy(t *testing.T) {
	body := notificationBody("connection.created")
	now := time.Now()
	valid := func() http.Header { return signedHeader(t, testSecret, "msg_1", now, body) }
	without := func(name string) http.Header { h := valid(); h.Del(name); return h }
	with := func(name, v string) http.Header { h := valid(); h.Set(name, v); return h }
	signedJunk := func(b string) (string, http.Header) { return b, signedHeader(t, testSecret, "msg_1", now, b) }
	all := []error{client.ErrWebhookMissingHeader, client.ErrWebhookMalformedHeader, client.ErrWebhookTimestamp, client.ErrWebhookSignature, client.ErrWebhookMalformedBody}
	type tc struct {
		name   string
		body   string
		header http.Header
		want   error
	}
	cases := []tc{
		{"tampered body", strings.Replace(body, "conn-1", "conn-2", 1), valid(), client.ErrWebhookSignature},
		{"wrong secret", body, signedHeader(t, otherSecret, "msg_1", now, body), client.ErrWebhookSignature},
		{"tampered id", body, with("svix-id", "msg_2"), client.ErrWebhookSignature},
		{"only another version", body, with("svix-signature", "v1a,"+strings.TrimPrefix(valid().Get("svix-signature"), "v1,")), client.ErrWebhookSignature},
		{"stale", body, signedHeader(t, testSecret, "msg_1", now.Add(-6*time.Minute), body), client.ErrWebhookTimestamp},
		{"future", body, signedHeader(t, testSecret, "msg_1", now.Add(6*time.Minute), body), client.ErrWebhookTimestamp},
		{"no id", body, without("svix-id"), client.ErrWebhookMissingHeader},
		{"no timestamp", body, without("svix-timestamp"), client.ErrWebhookMissingHeader},
		{"no signature", body, without("svix-signature"), client.ErrWebhookMissingHeader},
		{"no headers", body, http.Header{}, client.ErrWebhookMissingHeader},
		{"garbled timestamp", body, with("svix-timestamp", "yesterday"), client.ErrWebhookMalformedHeader},
		{"garbled signature", body, with("svix-signature", "deadbeef"), client.ErrWebhookMalformedHeader},
	}
	b, h := signedJunk(`not json`)
	cases = append(cases, tc{"signed non-JSON", b, h, client.ErrWebhookMalformedBody})
	b, h = signedJunk(`{"data":{}}`)
	cases = append(cases, tc{"no notificationType", b, h, client.ErrWebhookMalformedBody})
	b, h = signedJunk(`["notificationType","connection.deleted"]`)
	cases = append(cases, tc{"an array, not an object", b, h, client.ErrWebhookMalformedBody})
	// A property of the wrong type is a reported repair, not an error: TestWebhookDecodingIsTolerantAndReported.

	w := newWebhook(t, testSecret)
	for _, c := range cases {
		n, err := w.Verify([]byte(c.body), c.header)
		if n != nil || !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, %v; want %v", c.name, n, err, c.want)
			continue
		}
		for _, other := range all {
			if other != c.want && errors.Is(err, other) {
				t.Errorf("%s: %v also matches %v", c.name, err, other)
			}
		}
	}
}

func TestWebhookRotationWithSeveralSignatures(t *testing.T) {
	body := notificationBody("connection.refreshed")
	at := time.Now()
	old := newWebhook(t, otherSecret).Sign("msg_1", at, []byte(body))
	cur := newWebhook(t, testSecret).Sign("msg_1", at, []byte(body))
	for _, sigs := range []string{old + " " + cur, cur + " " + old, "v2,abc " + cur} {
		h := signedHeader(t, testSecret, "msg_1", at, body)
		h.Set("svix-signature", sigs)
		if _, err := newWebhook(t, testSecret).Verify([]byte(body), h); err != nil {
			t.Errorf("%q: %v", sigs, err)
		}
		if _, err := newWebhook(t, otherSecret).Verify([]byte(body), h); sigs[:3] != "v2," && err != nil {
			t.Errorf("the old secret, %q: %v", sigs, err)
		}
	}
}

func TestWebhookStandardHeaderNames(t *testing.T) {
	body := notificationBody("connection.deleted")
	h := http.Header{}
	for k, v := range signedHeader(t, testSecret, "msg_1", time.Now(), body) {
		h[strings.Replace(k, "Svix-", "Webhook-", 1)] = v
	}
	if _, err := newWebhook(t, testSecret).Verify([]byte(body), h); err != nil {
		t.Fatal(err)
	}
	h.Del("webhook-signature")
	if _, err := newWebhook(t, testSecret).Verify([]byte(body), h); !errors.Is(err, client.ErrWebhookMissingHeader) || !strings.Contains(err.Error(), "webhook-signature") {
		t.Fatalf("got %v, want the missing webhook-signature named", err)
	}
}

// Standard Webhooks' published test vector (its libraries' tests): this secret, id, timestamp and body sign to
// this signature. The body has no notificationType, so an accepted signature ends in ErrWebhookMalformedBody.
func TestWebhookStandardTestVector(t *testing.T) {
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		body   = `{"test": 2432232314}`
		sig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	at := time.Unix(1614265330, 0)
	w := newWebhook(t, secret, client.WithWebhookTolerance(time.Since(at)+time.Hour))
	if got := w.Sign(id, at, []byte(body)); got != sig {
		t.Fatalf("Sign = %s, want %s", got, sig)
	}
	h := http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {"1614265330"}, "Webhook-Signature": {sig}}
	if _, err := w.Verify([]byte(body), h); !errors.Is(err, client.ErrWebhookMalformedBody) {
		t.Fatalf("got %v, want the signature accepted and the body refused as not a notification", err)
	}
	if _, err := newWebhook(t, secret).Verify([]byte(body), h); !errors.Is(err, client.ErrWebhookTimestamp) {
		t.Fatalf("with the default tolerance: got %v, want ErrWebhookTimestamp", err)
	}
}

func TestWebhookToleranceIsConfigurable(t *testing.T) {
	body := notificationBody("connection.created")
	h := signedHeader(t, testSecret, "msg_1", time.Now().Add(-20*time.Minute), body)
	if _, err := newWebhook(t, testSecret, client.WithWebhookTolerance(time.Hour)).Verify([]byte(body), h); err != nil {
		t.Fatal(err)
	}
	h = signedHeader(t, testSecret, "msg_1", time.Now().Add(-2*time.Minute), body)
	if _, err := newWebhook(t, testSecret, client.WithWebhookTolerance(time.Second)).Verify([]byte(body), h); !errors.Is(err, client.ErrWebhookTimestamp) {
		t.Fatalf("got %v, want ErrWebhookTimestamp", err)
	}
}

func TestWebhookMalformedSecret(t *testing.T) {
	for _, s := range []string{"", "whsec_", "whsec_not base64!", "whsec_%%%%"} {
		w, err := client.NewWebhook(s)
		if w != nil || !errors.Is(err, client.ErrWebhookSecret) {
			t.Errorf("%q: got %v, %v", s, w, err)
		}
		if _, err := client.VerifyNotification(nil, http.Header{}, s); !errors.Is(err, client.ErrWebhookSecret) {
			t.Errorf("VerifyNotification with %q: %v", s, err)
		}
		if s != "" && s != "whsec_" && strings.Contains(fmt.Sprint(err), strings.TrimPrefix(s, "whsec_")) {
			t.Errorf("the error prints the secret: %v", err)
		}
	}
}

func TestWebhookNeverPrintsTheSecret(t *testing.T) {
	w := newWebhook(t, testSecret)
	key := strings.TrimPrefix(testSecret, "whsec_")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, v := range []any{w, *w} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, key) || strings.Contains(out, "1\xf2\x90") || strings.Contains(out, "MfKQ") {
				t.Errorf("%s of %T prints the secret: %s", verb, v, out)
			}
		}
	}
}

func TestVerifyRequestBoundsTheBody(t *testing.T) {
	body := notificationBody("connection.created")
	r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
	r.Header = signedHeader(t, testSecret, "msg_1", time.Now(), body)
	if _, err := newWebhook(t, testSecret, client.WithWebhookMaxBodyBytes(int64(len(body)-1))).VerifyRequest(r); !errors.Is(err, client.ErrWebhookBodyTooLarge) {
		t.Fatalf("got %v, want ErrWebhookBodyTooLarge", err)
	}
	r = httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
	r.Header = signedHeader(t, testSecret, "msg_1", time.Now(), body)
	if n, err := newWebhook(t, testSecret, client.WithWebhookMaxBodyBytes(int64(len(body)))).VerifyRequest(r); err != nil || n.Type != client.NotificationTypeConnectionCreated {
		t.Fatalf("got %v, %v", n, err)
	}
}

func TestWebhookHandlerAnswers(t *testing.T) {
	body := notificationBody("connection.error")
	var got []*client.Notification
	fail := false
	h := newWebhook(t, testSecret, client.WithWebhookMaxBodyBytes(4096)).Handler(func(ctx context.Context, n *client.Notification) error {
		got = append(got, n)
		if fail {
			return errors.New("database down")
		}
		return nil
	})
	send := func(method, body string, header http.Header) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/hook", strings.NewReader(body))
		r.Header = header
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	good := signedHeader(t, testSecret, "msg_1", time.Now(), body)
	if rec := send(http.MethodPost, body, good); rec.Code != http.StatusNoContent || len(got) != 1 || got[0].ID != "msg_1" {
		t.Fatalf("a good delivery: %d %s, handled %d", rec.Code, rec.Body, len(got))
	}
	if rec := send(http.MethodPost, body+" ", good); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "signature") {
		t.Errorf("a tampered body: %d %s", rec.Code, rec.Body)
	}
	if rec := send(http.MethodPost, body, http.Header{}); rec.Code != http.StatusBadRequest {
		t.Errorf("no headers: %d", rec.Code)
	}
	big := notificationBody("connection.created")[:20] + strings.Repeat(" ", 5000) + "}"
	if rec := send(http.MethodPost, big, signedHeader(t, testSecret, "msg_2", time.Now(), big)); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over the limit: %d", rec.Code)
	}
	if rec := send(http.MethodGet, "", good); rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
		t.Errorf("GET: %d", rec.Code)
	}
	if len(got) != 1 {
		t.Errorf("the function was called for refused requests: %d calls", len(got))
	}
	fail = true
	rec := send(http.MethodPost, body, good)
	if rec.Code != http.StatusInternalServerError || bytes.Contains(rec.Body.Bytes(), []byte("database")) {
		t.Errorf("a failing function: %d %s", rec.Code, rec.Body)
	}
}

// A notification whose body drifts from the schema decodes by the SDK's policy: the odd property keeps its
// zero value and is reported, its siblings survive; WithWebhookStrictDecoding makes it an error.
func TestWebhookDecodingIsTolerantAndReported(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("a secret of thirty-two bytes....."))
	body := []byte(`{"notificationType":"connection.created","data":{"connectionId":42,"provider":"salesforce",` +
		`"projectId":"p","groupRef":"g","consumerRef":"c","consumerName":"Jane"}}`)
	h := http.Header{}
	id, ts := "msg_1", time.Now()
	h.Set("svix-id", id)
	h.Set("svix-timestamp", strconv.FormatInt(ts.Unix(), 10))
	wh, err := client.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	h.Set("svix-signature", wh.Sign(id, ts, body))
	n, err := wh.Verify(body, h)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := n.Payload.(*client.ConnectionCreatedNotificationPayload)
	if !ok || p.Data.ConnectionID != "" || p.Data.Provider != "salesforce" {
		t.Errorf("payload %#v", n.Payload)
	}
	if len(n.Issues) != 1 || n.Issues[0].Pointer != "/data/connectionId" || n.Issues[0].Kind != client.DecodeIssueWrongType || n.Issues[0].Raw != "42" {
		t.Errorf("issues %+v, want one wrong type at /data/connectionId", n.Issues)
	}
	strict, err := client.NewWebhook(secret, client.WithWebhookStrictDecoding())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strict.Verify(body, h); !errors.Is(err, client.ErrWebhookMalformedBody) {
		t.Errorf("strict: %v, want ErrWebhookMalformedBody", err)
	}
}
