package contract

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// server is one of the two servers every request goes to: Prism on Ampersand's document, or the fake.
type server struct {
	name string
	url  string // the API base URL
	key  string
	fake *amptest.Server // nil for Prism
	rec  *recorder
	log  *issueLog
	c    *client.Client
}

// newServers returns Prism (when it runs) and a fresh fake, each with a client that records what it sends
// and the DecodeIssues of its calls, and has opts.
func newServers(t *testing.T, opts ...client.Option) []*server {
	t.Helper()
	fake := amptest.NewServer()
	t.Cleanup(fake.Close)
	servers := []*server{{name: "amptest", url: fake.URL, key: fake.APIKey, fake: fake}}
	if prismURL != "" {
		servers = append(servers, &server{name: "prism", url: prismURL, key: "contract-test-key"})
	} else {
		t.Log("Prism is not running: only the fake is checked")
	}
	for _, s := range servers {
		s.rec, s.log = &recorder{}, &issueLog{}
		c, err := client.New(append([]client.Option{client.WithAPIKey(s.key), client.WithServerURL(s.url), client.WithoutRetries(),
			client.WithMiddleware(s.rec.middleware), client.WithHooks(client.Hooks{CallEnd: s.log.callEnd})}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		s.c = c
	}
	return servers
}

// exchange is one request as sent and what the server answered.
type exchange struct {
	method, target string // target: the raw request target, escaped as sent
	status         int
	contentType    string
	violations     []violation // Prism's sl-violations header
}

// violation is one entry of Prism's sl-violations header.
type violation struct {
	Location []string `json:"location"`
	Code     any      `json:"code"`
	Message  string   `json:"message"`
}

// recorder is a middleware that keeps every exchange.
type recorder struct {
	mu  sync.Mutex
	all []exchange
}

func (r *recorder) middleware(req *http.Request, next client.MiddlewareNext) (*http.Response, error) {
	resp, err := next(req)
	x := exchange{method: req.Method, target: req.URL.RequestURI()}
	if resp != nil {
		x.status, x.contentType = resp.StatusCode, resp.Header.Get("Content-Type")
		if v := resp.Header.Get("sl-violations"); v != "" {
			if jerr := json.Unmarshal([]byte(v), &x.violations); jerr != nil {
				x.violations = []violation{{Location: []string{"request"}, Message: "unreadable sl-violations header: " + v}}
			}
		}
	}
	r.mu.Lock()
	r.all = append(r.all, x)
	r.mu.Unlock()
	return resp, err
}

// since returns the exchanges recorded after the first n.
func (r *recorder) since(n int) []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.all[n:])
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.all)
}

// requestViolations are the violations Prism blames on the request (not on its own example replies).
func (x exchange) requestViolations() []violation {
	var out []violation
	for _, v := range x.violations {
		if len(v.Location) > 0 && v.Location[0] == "request" {
			out = append(out, v)
		}
	}
	return out
}

// mediaType is the exchange's Content-Type without parameters.
func (x exchange) mediaType() string {
	mt, _, _ := strings.Cut(x.contentType, ";")
	return strings.TrimSpace(mt)
}

// issueLog keeps the DecodeIssues of every call.
type issueLog struct {
	mu  sync.Mutex
	all []client.DecodeIssue
}

func (l *issueLog) callEnd(_ context.Context, call *client.Call, _ error) {
	l.mu.Lock()
	l.all = append(l.all, call.DecodeIssues...)
	l.mu.Unlock()
}

// since returns the issues recorded after the first n.
func (l *issueLog) since(n int) []client.DecodeIssue {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.all[n:])
}

func (l *issueLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.all)
}

// responseViolations are the JSON pointers of the reply's body that Prism reports as breaking the document.
func (x exchange) responseViolations() []string {
	var out []string
	for _, v := range x.violations {
		if len(v.Location) > 1 && v.Location[0] == "response" && v.Location[1] == "body" {
			p := ""
			for _, tok := range v.Location[2:] {
				p += "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
			}
			out = append(out, p)
		}
	}
	return out
}
