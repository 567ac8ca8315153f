package amptest

import (
	"net/http"
	"strings"
	"time"
)

// RequestsPath is the recorder over HTTP, for test suites in any language that run against amp fake serve.
// It is a path on the server's origin (Server.URL without /v1): GET returns the recorded requests (see
// Requests) as a JSON array, oldest first; DELETE forgets them (ResetRequests) and answers 204. Both need
// the X-Api-Key header; other methods are answered 405. Requests to it are not recorded.
//
// Each element has the fields of Request in lowerCamelCase: operation, method, path, rawQuery, header (the
// key redacted), body (as a string: bytes that are not UTF-8 become U+FFFD), bodySize and time.
//
// Every path under /_amptest/ is reserved for such endpoints: no API operation (all under /v1) and no
// browser step is there.
const RequestsPath = controlPrefix + "requests"

// controlPrefix is the reserved path prefix of the fake's own endpoints.
const controlPrefix = "/_amptest/"

// recordedRequest is the JSON form of a Request at RequestsPath.
type recordedRequest struct {
	Operation string      `json:"operation"`
	Method    string      `json:"method"`
	Path      string      `json:"path"`
	RawQuery  string      `json:"rawQuery"`
	Header    http.Header `json:"header"`
	Body      string      `json:"body"`
	BodySize  int64       `json:"bodySize"`
	Time      time.Time   `json:"time"`
}

// isControl reports whether r is for one of the fake's own endpoints (under controlPrefix).
func isControl(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, controlPrefix) }

// serveControl answers a request under controlPrefix. It is neither recorded nor subject to faults.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	x := &exchange{r: r, requestID: newUUID()}
	if rp := s.authenticate(x); rp != nil {
		rp.write(w, x.requestID)
		return
	}
	if r.URL.Path != RequestsPath {
		s.problem(x, http.StatusNotFound, "no amptest endpoint at "+r.URL.EscapedPath()+"; the recorder is at "+RequestsPath).write(w, x.requestID)
		return
	}
	switch r.Method {
	case http.MethodGet:
		reqs := s.Requests()
		out := make([]recordedRequest, len(reqs))
		for i, q := range reqs {
			out[i] = recordedRequest{Operation: string(q.Operation), Method: q.Method, Path: q.Path, RawQuery: q.RawQuery,
				Header: q.Header, Body: string(q.Body), BodySize: q.BodySize, Time: q.Time}
		}
		jsonReply(http.StatusOK, out).write(w, x.requestID)
	case http.MethodDelete:
		s.ResetRequests()
		(&reply{status: http.StatusNoContent}).write(w, x.requestID)
	default:
		rp := s.problem(x, http.StatusMethodNotAllowed, "use GET to read the recorded requests, DELETE to forget them")
		rp.header.Set("Allow", "GET, DELETE")
		rp.write(w, x.requestID)
	}
}
