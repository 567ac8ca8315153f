package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

func getReq() client.GetConnectionRequest {
	return client.GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "conn-1"}
}

// Every non-2xx reply becomes an *APIError, whatever its body; problem bodies are parsed.
func TestEveryNon2xxIsAnAPIError(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		ctype, body string
		sentinel    error
		wantProblem bool
		wantMsg     string
	}{
		{"404 problem", 404, "application/problem+json",
			`{"type":"about:blank","title":"Not Found","status":404,"detail":"connection conn-1 not found","requestId":"req-9"}`,
			client.ErrNotFound, true, "ampersand: getConnection: 404 Not Found: connection conn-1 not found (request req-9)"},
		{"401 problem with charset", 401, "application/problem+json; charset=utf-8",
			`{"title":"Unauthorized","status":401,"detail":"bad key"}`, client.ErrUnauthorized, true,
			"ampersand: getConnection: 401 Unauthorized: bad key"},
		{"403 plain JSON problem", 403, "application/json", `{"title":"No access","detail":"project is locked"}`,
			client.ErrForbidden, true, "ampersand: getConnection: 403 Forbidden: No access: project is locked"},
		{"429 without body", 429, "", "", client.ErrRateLimited, false, "ampersand: getConnection: 429 Too Many Requests"},
		{"400 with issues", 400, "application/problem+json",
			`{"title":"Bad Request","status":400,"detail":"invalid","issues":[{"in":"query","name":"refresh","detail":"bad value"}]}`,
			nil, true, "ampersand: getConnection: 400 Bad Request: invalid"},
		{"502 HTML page", 502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>", nil, false,
			"ampersand: getConnection: 502 Bad Gateway"},
		{"418 JSON that is not a problem", 418, "application/json", `{"hello":"world"}`, nil, false,
			"ampersand: getConnection: 418 I'm a teapot"},
		{"422 malformed problem", 422, "application/problem+json", `{"title":`, nil, false,
			"ampersand: getConnection: 422 Unprocessable Entity"},
		{"409 problem with a bad field keeps the others", 409, "application/problem+json",
			`{"title":"Conflict","time":"yesterday","status":"409","detail":"already exists","requestId":"r-2"}`, nil, true,
			"ampersand: getConnection: 409 Conflict: already exists (request r-2)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { reply(w, tc.status, tc.ctype, tc.body) })
			_, err := api.newClient(t, client.WithoutRetries()).Connections.Get(bg, getReq())
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %#v, want *APIError", err)
			}
			if apiErr.StatusCode != tc.status || apiErr.Operation != "getConnection" || string(apiErr.Body) != tc.body || apiErr.Attempts != 1 {
				t.Errorf("APIError = %+v", apiErr)
			}
			if (apiErr.Problem != nil) != tc.wantProblem {
				t.Errorf("Problem = %+v, want present: %v", apiErr.Problem, tc.wantProblem)
			}
			if err.Error() != tc.wantMsg {
				t.Errorf("Error() = %q\nwant      %q", err.Error(), tc.wantMsg)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("errors.Is(err, %v) = false", tc.sentinel)
			}
			for _, s := range []error{client.ErrNotFound, client.ErrUnauthorized, client.ErrForbidden, client.ErrRateLimited} {
				if s != tc.sentinel && errors.Is(err, s) {
					t.Errorf("errors.Is(err, %v) = true", s)
				}
			}
			if apiErr.Header.Get("Content-Type") != tc.ctype && tc.ctype != "" {
				t.Errorf("Header not kept: %v", apiErr.Header)
			}
		})
	}
}

func TestAPIErrorDetails(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("X-Request-Id", "hdr-1")
		problem(w, 400, `{"title":"Bad Request","status":400,"remedy":"Allowed masks: 'apiKey'","retryable":false,
			"issues":[{"in":"body","name":"updateMask[0]","detail":"not allowed","value":"basicAuth"}]}`)
	})
	_, err := api.newClient(t).Connections.Get(bg, getReq())
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		t.Fatal(err)
	}
	p := apiErr.Problem
	if p.Remedy != "Allowed masks: 'apiKey'" || p.Retryable == nil || *p.Retryable || len(p.Issues) != 1 ||
		p.Issues[0].Name != "updateMask[0]" || p.Issues[0].Value != "basicAuth" {
		t.Errorf("problem = %+v", p)
	}
	if apiErr.RequestID() != "hdr-1" {
		t.Errorf("RequestID() = %q, want the header's when the problem has none", apiErr.RequestID())
	}

	big := strings.Repeat("x", 200<<10)
	api = newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { reply(w, 500, "text/plain", big) })
	_, err = api.newClient(t, client.WithoutRetries()).Connections.Get(bg, getReq())
	if !errors.As(err, &apiErr) || len(apiErr.Body) != 64<<10 {
		t.Errorf("error body must be capped at 64 KiB: %d bytes", len(apiErr.Body))
	}
}

// A 2xx body that does not decode gives a *DecodeError that keeps the status and the body.
func TestDecodeError(t *testing.T) {
	for name, body := range map[string]string{
		"malformed":     `{"id":`,
		"wrong type":    `{"id":42}`,
		"no id":         `{"provider":"p"}`,
		"empty":         ``,
		"trailing data": connJSON + `{}`,
		"HTML":          `<html>captive portal</html>`,
	} {
		t.Run(name, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { reply(w, 200, "application/json", body) })
			_, err := api.newClient(t).Connections.Get(bg, getReq())
			var de *client.DecodeError
			if !errors.As(err, &de) || de.StatusCode != 200 || de.Operation != "getConnection" || de.Err == nil {
				t.Fatalf("err = %#v", err)
			}
			if string(de.Body) != body {
				t.Errorf("Body = %q, want %q", de.Body, body)
			}
			if n := len(api.requests()); n != 1 {
				t.Errorf("%d attempts: a body that does not decode is not retried", n)
			}
		})
	}
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		reply(w, 200, "application/json", "["+strings.Repeat(connJSON+",", 50)+connJSON+"]")
	})
	_, err := api.newClient(t, client.WithMaxResponseBytes(4096)).Connections.List(bg, client.ListConnectionsRequest{ProjectIDOrName: "p"})
	var de *client.DecodeError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Errorf("body over the limit: %v", err)
	}
}

// Transport failures and timeouts come back as *ConnectionError, wrapping the cause.
func TestConnectionErrors(t *testing.T) {
	api := newFakeAPI(t, okHandler)
	url := api.URL()
	api.srv.Close()
	c, err := client.New(client.WithAPIKey(testKey), client.WithServerURL(url), client.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Connections.Get(bg, getReq())
	var ce *client.ConnectionError
	if !errors.As(err, &ce) || ce.Timeout || ce.Attempts != 1 || ce.Operation != "getConnection" {
		t.Fatalf("refused connection: %#v", err)
	}

	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	slow := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	})
	_, err = slow.newClient(t, client.WithTimeout(20*time.Millisecond), client.WithoutRetries()).Connections.Get(bg, getReq())
	if !errors.As(err, &ce) || !ce.Timeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("per-attempt timeout: %#v", err)
	}

	ctx, cancel := context.WithTimeout(bg, 20*time.Millisecond)
	defer cancel()
	_, err = slow.newClient(t).Connections.Get(ctx, getReq())
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ce) {
		t.Fatalf("the caller's deadline is not a connection error: %#v", err)
	}
}

// %v and %+v of a Problem, a *Problem and an *APIError read as text: no pointer addresses, Retryable as
// true, false or unset, the server's text quoted.
func TestProblemPrintsAsText(t *testing.T) {
	yes := true
	p := &client.Problem{Title: "Bad Request", Status: 400, Detail: "line\nbreak", RequestID: "r-1", Retryable: &yes,
		Issues: []client.InputValidationIssue{{In: client.InputValidationIssueInBody, Name: "groupRef", Detail: "is missing"}}}
	want := `Problem{title: "Bad Request", status: 400, detail: "line\nbreak", requestId: "r-1", retryable: true, issues: [body "groupRef": "is missing"]}`
	for _, verb := range []string{"%v", "%+v", "%s"} {
		for _, v := range []any{p, *p} {
			if got := fmt.Sprintf(verb, v); got != want {
				t.Errorf("%s of %T = %s\nwant %s", verb, v, got, want)
			}
		}
	}
	if got := fmt.Sprint(client.Problem{}); got != "Problem{retryable: unset}" {
		t.Errorf("an empty problem prints %s", got)
	}
	no := false
	if got := fmt.Sprint(client.Problem{Retryable: &no}); !strings.Contains(got, "retryable: false") {
		t.Errorf("retryable false prints %s", got)
	}
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		problem(w, 404, `{"title":"Not Found","detail":"no such connection","requestId":"r-9","retryable":false}`)
	})
	_, err := api.newClient(t).Connections.Get(bg, getReq())
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v"} {
		for _, v := range []any{err, apiErr.Problem} {
			if got := fmt.Sprintf(verb, v); strings.Contains(got, "0x") || !strings.Contains(got, "no such connection") {
				t.Errorf("%s of %T = %s", verb, v, got)
			}
		}
	}
}

// APIError.Header shows credential headers as [REDACTED] whatever they hold, and holds the key nowhere, not
// even as a header's name.
func TestAPIErrorHeaderHidesCredentials(t *testing.T) {
	const key = "Echoed-Key-7f3a9" // a canonical header name, so that a server can send it as one
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Set-Cookie", "session=s3cr3t")
		w.Header().Set("Authorization", "Bearer s3cr3t")
		w.Header().Set(key, "1")
		w.WriteHeader(http.StatusBadRequest)
	})
	apiErr := getAPIError(t, api, key)
	for _, name := range []string{"Set-Cookie", "Authorization"} {
		if v := apiErr.Header.Values(name); len(v) != 1 || v[0] != "[REDACTED]" {
			t.Errorf("Header[%s] = %q, want [REDACTED]", name, v)
		}
	}
	for name := range apiErr.Header {
		if strings.Contains(name, key) {
			t.Errorf("a header name holds the key: %q", name)
		}
	}
}

// A problem whose redaction cannot keep it valid JSON is dropped, never kept with the key in it. Here the
// key, escaped in the body (so not redacted there), is in the detail, and also a number in the context once
// decoded (1.2345678e7 is 12345678): redacting the number would leave no valid JSON.
func TestProblemThatCannotBeRedactedIsDropped(t *testing.T) {
	const key = "12345678"
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		problem(w, http.StatusBadRequest, `{"title":"Bad Request","detail":"bad key \u0031\u0032\u0033\u0034\u0035\u0036\u0037\u0038",`+
			`"context":{"n":1.2345678e7}}`)
	})
	apiErr := getAPIError(t, api, key)
	if p := apiErr.Problem; p != nil && strings.Contains(fmt.Sprintf("%+v", *p), key) {
		t.Errorf("the problem holds the key: %+v", *p)
	}
}

// Server text in an error's message is escaped, invalid UTF-8 included: a request ID header with a byte that
// is not UTF-8 prints as \xff.
func TestErrorEscapesInvalidUTF8(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header()["X-Request-Id"] = []string{"req\xff1"}
		w.WriteHeader(http.StatusBadRequest)
	})
	_, err := api.newClient(t).Connections.Get(bg, getReq())
	if err == nil || !utf8.ValidString(err.Error()) || !strings.Contains(err.Error(), `(request req\xff1)`) {
		t.Errorf("%q; want the request ID escaped, as req\\xff1", err)
	}
}

// getAPIError makes a Get with key against api, and returns its *APIError.
func getAPIError(t *testing.T, api *fakeAPI, key string) *client.APIError {
	t.Helper()
	c, err := client.New(client.WithAPIKey(key), client.WithServerURL(api.URL()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Connections.Get(bg, getReq())
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("%v; want an *APIError", err)
	}
	return apiErr
}
