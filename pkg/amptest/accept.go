package amptest

import (
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// notAcceptable answers 406, as a server that negotiates content does (Prism on Ampersand's document does),
// when the request's Accept admits none of the media types of the operation's success replies in the spec:
// oauthConnect answers text/plain, so "Accept: application/json, application/problem+json" is refused. An
// absent Accept admits everything, as do "*/*" and "type/*"; a range with q=0 admits nothing. An operation
// whose success has no body (deleteConnection's 204) accepts any Accept.
func (s *Server) notAcceptable(x *exchange) *reply {
	offered := successMediaTypes(x.route.Operation)
	accept := x.r.Header.Values("Accept")
	if len(offered) == 0 || len(accept) == 0 || slices.ContainsFunc(offered, func(mt string) bool { return acceptable(accept, mt) }) {
		return nil
	}
	return s.problem(x, http.StatusNotAcceptable, fmt.Sprintf("Accept %q admits none of the media types of %s's success reply: %s",
		strings.Join(accept, ", "), x.op, strings.Join(offered, ", ")))
}

// successMediaTypes lists the media types of op's 2xx replies.
func successMediaTypes(op *openapi3.Operation) []string {
	var mts []string
	for code, r := range op.Responses.Map() {
		if strings.HasPrefix(code, "2") && r.Value != nil {
			for mt := range r.Value.Content {
				mts = append(mts, mt)
			}
		}
	}
	slices.Sort(mts)
	return mts
}

// acceptable reports whether the Accept header values admit the media type mt (RFC 9110, section 12.5.1):
// some range matches it (exactly, "type/*" or "*/*") with a quality above 0. The most specific matching range
// decides, so "text/*;q=0, text/plain" admits text/plain. A range that does not parse is ignored.
func acceptable(accept []string, mt string) bool {
	typ, _, _ := strings.Cut(mt, "/")
	best, q := -1, 0.0 // the specificity of the best matching range so far (2 exact, 1 type/*, 0 */*) and its q
	for _, v := range accept {
		for _, r := range strings.Split(v, ",") {
			rng, params, err := mime.ParseMediaType(strings.TrimSpace(r))
			if err != nil {
				continue
			}
			spec := -1
			switch {
			case rng == mt:
				spec = 2
			case rng == typ+"/*":
				spec = 1
			case rng == "*/*":
				spec = 0
			}
			if spec <= best {
				continue
			}
			best, q = spec, 1
			if s, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(s, 64); err == nil {
					q = f
				}
			}
		}
	}
	return best >= 0 && q > 0
}
