package reliability_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// The security promises of issue 10 (items 1–4): each test fails on an SDK without the fix.

// Item 1. A 307 or 308 to another origin would make net/http resend the body (a generate's credential, an
// update's password) to that origin. It is not followed: the call ends with an *APIError naming the status
// and the target origin, and the other origin receives nothing. A redirect to the same origin is followed,
// body included; a body-less request still follows a redirect to another origin, without the key.
func TestCrossOriginRedirectNeverGetsTheBody(t *testing.T) {
	var mu sync.Mutex
	var elsewhere []string // what the other origin received: method, path, body, key
	other := newRawServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		elsewhere = append(elsewhere, fmt.Sprintf("%s %s body=%q key=%q", r.Method, r.URL.Path, body, r.Header.Get("X-Api-Key")))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(connJSON))
	})
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		for _, call := range []struct {
			name   string
			secret string
			call   func(c *client.Client) error
		}{
			{"generate", "generate-credential-secret", func(c *client.Client) error {
				_, err := c.Connections.Generate(context.Background(), client.GenerateConnectionRequest{ProjectIDOrName: "p",
					Params: client.GenerateConnectionParams{Provider: "hubspot", GroupRef: "g", ConsumerRef: "c", APIKey: "generate-credential-secret"}})
				return err
			}},
			{"update", "update-password-secret", func(c *client.Client) error {
				_, err := c.Connections.Update(context.Background(), client.UpdateConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c",
					Params: client.UpdateConnectionParams{UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldBasicAuth},
						Connection: client.ConnectionRequest{BasicAuth: client.BasicAuth{Username: "u", Password: "update-password-secret"}}}})
				return err
			}},
		} {
			t.Run(fmt.Sprintf("%d %s", status, call.name), func(t *testing.T) {
				mu.Lock()
				elsewhere = nil
				mu.Unlock()
				ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
					http.Redirect(w, r, other.URL+r.URL.Path, status)
				})
				c, d := rawClient(t, ts, client.WithHTTPClient(freshHTTPClient()), client.WithAPIKey(canary))
				err := call.call(c)
				var apiErr *client.APIError
				target, _ := url.Parse(other.URL)
				if !errors.As(err, &apiErr) || apiErr.StatusCode != status || !strings.Contains(err.Error(), target.Host) {
					t.Fatalf("err = %v, want an APIError %d naming %s", err, status, target.Host)
				}
				mu.Lock()
				defer mu.Unlock()
				if len(elsewhere) > 0 {
					t.Errorf("the other origin received %v", elsewhere)
				}
				_ = d
			})
		}
	}

	t.Run("same origin: followed with the body", func(t *testing.T) {
		var got string
		ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
			if !strings.HasSuffix(r.URL.Path, "/moved") {
				http.Redirect(w, r, r.URL.Path+"/moved", http.StatusTemporaryRedirect)
				return
			}
			b, _ := io.ReadAll(r.Body)
			got = string(b)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(connJSON))
		})
		c, _ := rawClient(t, ts, client.WithHTTPClient(freshHTTPClient()))
		_, err := c.Connections.Generate(context.Background(), client.GenerateConnectionRequest{ProjectIDOrName: "p",
			Params: client.GenerateConnectionParams{Provider: "hubspot", GroupRef: "g", ConsumerRef: "c", APIKey: "k"}})
		if err != nil || !strings.Contains(got, `"apiKey":"k"`) {
			t.Fatalf("err = %v; the redirect target received %q", err, got)
		}
	})
}

// Item 2. No fmt verb prints the key of a *Client, of a struct embedding one, or of a copy of a Client.
func TestClientNeverPrintsTheKey(t *testing.T) {
	c, err := client.New(client.WithAPIKey(canary))
	if err != nil {
		t.Fatal(err)
	}
	type service struct {
		*client.Client
		Name string
	}
	type holder struct {
		c    client.Client // a copy, in an unexported field: fmt walks it with reflection
		opts []client.Option
	}
	values := map[string]any{"*Client": c, "embedded": service{c, "svc"}, "&embedded": &service{c, "svc"},
		"copy": holder{*c, []client.Option{client.WithAPIKey(canary)}}, "Connections": c.Connections}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%T"} {
			if s := fmt.Sprintf(verb, v); strings.Contains(s, canary) || strings.Contains(s, fmt.Sprintf("%x", canary)) {
				t.Errorf("%s of %s prints the key: %s", verb, name, s)
			}
		}
	}
	if s := fmt.Sprint(c); !strings.Contains(s, "api.withampersand.com") || !strings.Contains(s, "[REDACTED]") {
		t.Errorf("a Client prints as %q, want its server and [REDACTED]", s)
	}
}

// echoEverything is a server that reflects the key it receives into every part of a 400 problem reply:
// credential headers, other headers, the request ID header, and the problem's fields (some of them
// JSON-escaped, so the key is not in the raw body but is in the decoded strings).
func echoEverything(t *testing.T) *client.Client {
	c, _ := rawClient(t, echoEverythingServer(t), client.WithAPIKey(canary))
	return c
}

// echoEverythingServer is the server of echoEverything.
func echoEverythingServer(t *testing.T) *httptest.Server {
	return newRawServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		key := r.Header.Get("X-Api-Key")
		escaped := strings.ReplaceAll(key, "a", `\u0061`)
		for _, h := range []string{"X-Api-Key", "Authorization", "Set-Cookie", "X-Echo", "X-Request-Id"} {
			w.Header().Set(h, key)
		}
		w.Header().Add("X-Echo-Many", "first "+key)
		w.Header().Add("X-Echo-Many", "second "+key)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"title":"t %[1]s","detail":"%[2]s","requestId":"%[2]s","remedy":"%[1]s","causes":["%[2]s"],`+
			`"context":{"%[2]s":{"k":["%[2]s"]}},"issues":[{"name":"%[2]s","detail":"%[1]s","value":{"v":"%[2]s"}}]}`, key, escaped)
	})
}

// Item 3. No field or printed form of an APIError holds the key, however the server echoes it; credential
// headers are [REDACTED] whatever they hold.
func TestEchoedKeyInNoErrorField(t *testing.T) {
	assertNoEchoedKey(t, echoEverything(t))
}

// assertNoEchoedKey makes a call with c, whose server is an echoEverythingServer, and checks that the canary key is in
// no field and no printed form of its APIError.
func assertNoEchoedKey(t *testing.T, c *client.Client) {
	t.Helper()
	_, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Problem == nil {
		t.Fatalf("err = %v, want an APIError with a problem", err)
	}
	for _, leak := range findString(reflect.ValueOf(apiErr), "APIError", canary) {
		t.Errorf("the key is in %s", leak)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for name, v := range map[string]any{"the APIError": apiErr, "its Problem": apiErr.Problem, "*Problem": *apiErr.Problem} {
			if s := fmt.Sprintf(verb, v); strings.Contains(s, canary) {
				t.Errorf("%s of %s holds the key: %s", verb, name, s)
			}
		}
	}
	if id := apiErr.RequestID(); strings.Contains(id, canary) {
		t.Errorf("RequestID() = %q", id)
	}
	for _, h := range []string{"X-Api-Key", "Authorization", "Set-Cookie"} {
		if v := apiErr.Header.Get(h); v != "[REDACTED]" {
			t.Errorf("Header %s = %q, want [REDACTED]", h, v)
		}
	}
	if v := apiErr.Header.Values("X-Echo-Many"); len(v) != 2 || v[1] != "second [REDACTED]" {
		t.Errorf("X-Echo-Many = %q, want each value with the key replaced", v)
	}
}

// findString returns the paths of every string, []byte, map key and value that v reaches containing s.
func findString(v reflect.Value, at, s string) []string {
	var out []string
	switch v.Kind() {
	case reflect.String:
		if strings.Contains(v.String(), s) {
			out = append(out, at)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			out = append(out, findString(v.Elem(), at, s)...)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			out = append(out, findString(v.Field(i), at+"."+v.Type().Field(i).Name, s)...)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if strings.Contains(string(v.Bytes()), s) {
				out = append(out, at)
			}
			break
		}
		for i := range v.Len() {
			out = append(out, findString(v.Index(i), fmt.Sprintf("%s[%d]", at, i), s)...)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			out = append(out, findString(it.Key(), at+"{key}", s)...)
			out = append(out, findString(it.Value(), fmt.Sprintf("%s[%v]", at, it.Key()), s)...)
		}
	}
	return out
}

// Item 4. Server text in Error() cannot forge log lines: control characters, ANSI escapes, Unicode line
// separators and bidirectional overrides are escaped; the raw text stays in the fields.
func TestErrorStringsEscapeServerText(t *testing.T) {
	const hostile = "line\nFAKE: ok\r\x00\x1b[31mred\u2028\u202emoc.evil"
	ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusConflict)
		q, _ := json.Marshal(hostile)
		fmt.Fprintf(w, `{"title":%[1]s,"detail":%[1]s,"requestId":%[1]s}`, q)
	})
	c, _ := rawClient(t, ts)
	_, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Problem == nil {
		t.Fatalf("err = %v, want an APIError with a problem", err)
	}
	msg := err.Error()
	for _, r := range msg {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u202e' {
			t.Fatalf("Error() holds %U: %q", r, msg)
		}
	}
	if !strings.Contains(msg, `line\nFAKE: ok\r\x00\x1b[31mred\u2028\u202emoc.evil`) {
		t.Errorf("Error() = %q, want the text escaped", msg)
	}
	if apiErr.Problem.Title != hostile || apiErr.Problem.Detail != hostile || apiErr.RequestID() != hostile {
		t.Errorf("the fields lost the raw text: %q", apiErr.Problem.Title)
	}
}

// Item 3, transport errors: a server that redirects to a URL holding the key (so that net/http's error
// quotes it) gets it into no error value: not the ConnectionError's message, nor that of any error it wraps,
// nor any field reflection reaches; errors.Is still sees the cause (here, a refused connection).
func TestKeyInARedirectTargetIsNotInTheError(t *testing.T) {
	ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		http.Redirect(w, r, "http://127.0.0.1:1/?k="+r.Header.Get("X-Api-Key"), http.StatusFound)
	})
	c, _ := rawClient(t, ts, client.WithHTTPClient(freshHTTPClient()), client.WithAPIKey(canary))
	_, err := c.Connections.Get(context.Background(), client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
	var connErr *client.ConnectionError
	if !errors.As(err, &connErr) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v, want a ConnectionError matching ECONNREFUSED", err)
	}
	for _, l := range leaks(err, "%v", "%+v", "%#v") {
		t.Errorf("the key leaked: %s", l)
	}
	for _, leak := range findString(reflect.ValueOf(connErr), "ConnectionError", canary) {
		t.Errorf("the key is in %s", leak)
	}
}
