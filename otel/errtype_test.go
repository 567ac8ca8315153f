package ampotel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestErrorType(t *testing.T) {
	api503 := &client.APIError{Operation: "getConnection", StatusCode: 503}
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{context.Canceled, "context_canceled"},
		{fmt.Errorf("ampersand: getConnection: %w while waiting to retry; last attempt: %w", context.Canceled, api503), "context_canceled"},
		{fmt.Errorf("ampersand: getConnection: %w during attempt 2; previous attempt: %w", context.DeadlineExceeded, api503), "timeout"},
		{&client.ConnectionError{Timeout: true, Err: errors.New("x")}, "timeout"},
		{&url.Error{Op: "Get", URL: "http://h/conn-1", Err: timeoutErr{}}, "timeout"},
		{&client.APIError{StatusCode: 404}, "404"},
		{fmt.Errorf("wrapped: %w", api503), "503"},
		{&client.DecodeError{Err: io.ErrUnexpectedEOF}, "decode_error"},
		{&client.ValidationError{Field: "ConnectionID", Reason: "is empty"}, "validation_error"},
		{&client.ConnectionError{Err: errors.New("connection reset by peer")}, "connection_error"},
		{&url.Error{Op: "Get", URL: "http://h/conn-1", Err: io.EOF}, "connection_error"},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, "connection_error"},
		{errors.New("connection conn-123 not found"), "_OTHER"},
	}
	for _, tt := range tests {
		if got := errorType(tt.err); got != tt.want {
			t.Errorf("errorType(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestTarget(t *testing.T) {
	route := "/projects/{projectIdOrName}/connections/{connectionId}"
	tests := []struct{ raw, route, template, full string }{
		{"https://api.withampersand.com/v1/projects/p/connections/conn-1?includeCreds=true", route,
			"/v1" + route, "https://api.withampersand.com/v1" + route},
		{"http://127.0.0.1:8080/v1/projects/p%2Fq/connections/a%2Fb%3Fc", route, "/v1" + route, "http://127.0.0.1:8080/v1" + route},
		{"https://h/projects/p/connections/c:oauth-update", route + ":oauth-update", route + ":oauth-update", "https://h" + route + ":oauth-update"},
		{"https://h/base/path/oauth-connect", "/oauth-connect", "/base/path/oauth-connect", "https://h/base/path/oauth-connect"},
		{"https://h/x", route, route, "https://h" + route}, // fewer segments than the route: no base path
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		var ts targets
		for range 2 { // built, then cached
			got := ts.get("GET", u, tt.route)
			if got.template != tt.template || got.full != tt.full || got.name != "GET "+tt.route {
				t.Errorf("target of %s = %+v; want %q, %q", tt.raw, got, tt.template, tt.full)
			}
		}
	}
}

func TestServerPortAndClass(t *testing.T) {
	for raw, want := range map[string]int{"https://h/v1": 443, "http://h/v1": 80, "http://h:8080/v1": 8080} {
		u, _ := url.Parse(raw)
		if got := serverPort(u); got != want {
			t.Errorf("serverPort(%s) = %d, want %d", raw, got, want)
		}
	}
	for code, want := range map[int]string{0: "none", 204: "2xx", 307: "3xx", 404: "4xx", 503: "5xx", 700: "none"} {
		if got := statusClass(code); got != want {
			t.Errorf("statusClass(%d) = %q, want %q", code, got, want)
		}
	}
	if methodValue("GET") != "GET" || methodValue("BREW") != "_OTHER" {
		t.Error("methodValue")
	}
}
