package client_test

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// FuzzWebhookVerify feeds Verify arbitrary bodies and headers: it never panics, accepts a delivery only when
// one of its signature entries is exactly what the secret signs for its id, timestamp and body, and then
// returns that body and a payload of the type its notificationType names.
func FuzzWebhookVerify(f *testing.F) {
	wh, err := client.NewWebhook(testSecret)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	for _, body := range []string{notificationBody("connection.created"), notificationBody("connection.error"),
		`{"notificationType":"x.y","data":[]}`, `{"notificationType":null}`, `[]`, ``} {
		f.Add([]byte(body), "msg_1", ts, wh.Sign("msg_1", now, []byte(body)))
		f.Add([]byte(body), "msg_1", ts, "v1,AAAA "+wh.Sign("msg_1", now, []byte(body)))
	}
	f.Add([]byte(`{}`), "", "", "")
	f.Fuzz(func(t *testing.T, body []byte, id, ts, sigs string) {
		h := http.Header{}
		h["Svix-Id"], h["Svix-Timestamp"], h["Svix-Signature"] = []string{id}, []string{ts}, []string{sigs}
		n, err := wh.Verify(body, h)
		if err != nil {
			if n != nil {
				t.Fatalf("a notification with the error %v", err)
			}
			return
		}
		secs, perr := strconv.ParseInt(ts, 10, 64)
		if perr != nil {
			t.Fatalf("accepted the timestamp %q", ts)
		}
		want := wh.Sign(id, time.Unix(secs, 0), body)
		if !strings.Contains(" "+sigs+" ", " "+want+" ") {
			t.Fatalf("accepted signatures %q, none of which is %s", sigs, want)
		}
		if string(n.Body) != string(body) || n.ID != id || n.Payload == nil {
			t.Fatalf("notification %+v for body %q", n, body)
		}
		if _, unknown := n.Payload.(*client.UnknownNotification); unknown == n.Type.Valid() {
			t.Fatalf("type %q decoded as %T", n.Type, n.Payload)
		}
	})
}

// The errors of a fuzzed delivery are always one of the documented ones.
func TestWebhookErrorsAreDocumented(t *testing.T) {
	wh, err := client.NewWebhook(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	documented := []error{client.ErrWebhookMissingHeader, client.ErrWebhookMalformedHeader, client.ErrWebhookTimestamp,
		client.ErrWebhookSignature, client.ErrWebhookMalformedBody}
	for _, h := range []http.Header{{}, {"Svix-Id": {"a"}, "Svix-Timestamp": {"1"}, "Svix-Signature": {"v1,x"}},
		{"Svix-Id": {"a"}, "Svix-Timestamp": {"x"}, "Svix-Signature": {"v1,x"}}} {
		_, err := wh.Verify([]byte(`{}`), h)
		if !slices.ContainsFunc(documented, func(e error) bool { return errors.Is(err, e) }) {
			t.Errorf("%v is none of the documented errors", err)
		}
	}
}
