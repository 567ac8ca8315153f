package ampotel

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
)

// The attributes this package adds beside the semantic conventions' ones. None holds an ID but
// ProjectKey, which is on spans only.
const (
	// OperationKey is the operationId of the call, e.g. "getConnection" (spans and every metric).
	OperationKey = attribute.Key("ampersand.operation")
	// ProjectKey is the project ID or name the call addresses (the call span only: it is unbounded, so it is
	// on no metric).
	ProjectKey = attribute.Key("ampersand.project")
	// AttemptsKey is the number of attempts the call made (the call span, when it ends).
	AttemptsKey = attribute.Key("ampersand.attempts")
	// StatusClassKey is the class of the status of the call's last reply: "2xx" … "5xx", or "none" when no
	// reply came (metric ampersand.client.call.duration).
	StatusClassKey = attribute.Key("ampersand.status_class")
	// RetryAttemptKey is the number (1, 2, …) of the failed attempt a retry event follows.
	RetryAttemptKey = attribute.Key("ampersand.retry.attempt")
	// RetryWaitKey is the wait before the next attempt, in seconds (float64).
	RetryWaitKey = attribute.Key("ampersand.retry.wait")
	// RetryReasonKey is the retry policy's reason, such as "status 503; server asked to wait 2s": it names
	// statuses and durations only.
	RetryReasonKey = attribute.Key("ampersand.retry.reason")
)

// RetryEventName is the name of the call span's event for each retry.
const RetryEventName = "ampersand.retry"

// The call span's record of the repairs made to a success body that did not match its schema (see
// client.DecodeIssue): their count, and an event for each of the first MaxDecodeIssueEvents with its JSON
// pointer and kind. The raw value is not recorded: it may hold a credential.
const (
	// DecodeIssuesKey is the number of DecodeIssues of the call (the call span, when it ends; absent when
	// none).
	DecodeIssuesKey = attribute.Key("ampersand.decode.issues")
	// DecodeIssueEventName is the name of the call span's event for each DecodeIssue.
	DecodeIssueEventName = "ampersand.decode_issue"
	// DecodeIssuePointerKey is the JSON pointer of an issue's value in the body, e.g. "/3/authScheme".
	DecodeIssuePointerKey = attribute.Key("ampersand.decode_issue.pointer")
	// DecodeIssueKindKey is what was wrong: "missing", "null", "wrong type" or "invalid".
	DecodeIssueKindKey = attribute.Key("ampersand.decode_issue.kind")
	// MaxDecodeIssueEvents bounds the events of one call span (a list may have thousands of issues).
	MaxDecodeIssueEvents = 10
)

// The names of the metrics (see the package documentation).
const (
	MetricRequestDuration = "http.client.request.duration"
	MetricCallDuration    = "ampersand.client.call.duration"
	MetricCallAttempts    = "ampersand.client.call.attempts"
)

// target is what an attempt's span says of its request: its name, url.template and url.full.
type target struct{ name, template, full string }

// targetKey identifies the target of a request: the base path is the server URL's.
type targetKey struct{ method, scheme, host, base, route string }

// targets caches the targets of the requests seen, so that an attempt builds no string: a client has a few
// server URLs and operations, so a few entries. Past maxTargets (server URLs given per call, say) new ones
// are built every time.
type targets struct {
	mu sync.RWMutex
	m  map[targetKey]*target
}

const maxTargets = 256

// get returns the target of a request of method to u for an operation of path template route.
func (ts *targets) get(method string, u *url.URL, route string) *target {
	k := targetKey{method: method, scheme: u.Scheme, host: u.Host, base: basePath(u, route), route: route}
	ts.mu.RLock()
	t, ok := ts.m[k]
	ts.mu.RUnlock()
	if ok {
		return t
	}
	template := k.base + route
	t = &target{name: method + " " + route, template: template, full: k.scheme + "://" + k.host + template}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.m == nil {
		ts.m = make(map[targetKey]*target)
	}
	if len(ts.m) < maxTargets {
		k = targetKey{method: strings.Clone(k.method), scheme: strings.Clone(k.scheme), host: strings.Clone(k.host),
			base: strings.Clone(k.base), route: k.route}
		ts.m[k] = t
	}
	return t
}

// basePath returns the path of the server URL a request was made from: the request's escaped path less as
// many segments as the operation's path template has. The SDK escapes each ID into one segment (a "/" in an
// ID is sent as %2F), so the escaped path has exactly route's segments after the base. url.template is the
// base path and route, url.full the scheme, host and url.template: neither holds an ID or a query.
func basePath(u *url.URL, route string) string {
	path := u.EscapedPath()
	for n := strings.Count(route, "/"); n > 0 && path != ""; n-- {
		i := strings.LastIndexByte(path, '/')
		if i < 0 {
			return ""
		}
		path = path[:i]
	}
	return path
}

// serverPort returns the port of u, or the scheme's default.
func serverPort(u *url.URL) int {
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err == nil {
			return n
		}
	}
	if u.Scheme == "http" {
		return 80
	}
	return 443
}

// methodValue returns http.request.method: the method when it is a standard one, else "_OTHER" (bounded).
func methodValue(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

// statusClasses are the values of StatusClassKey, by status/100.
var statusClasses = [...]string{"none", "1xx", "2xx", "3xx", "4xx", "5xx"}

// statusClass returns the StatusClassKey value of a status code (0: none).
func statusClass(code int) string {
	if c := code / 100; c >= 1 && c < len(statusClasses) {
		return statusClasses[c]
	}
	return statusClasses[0]
}
