package amptest

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// apiBasePath is the path of Server.URL: every API operation is under it.
const apiBasePath = "/v1"

// apiRouter is the router of the embedded spec, built once per process and shared by every Server: the
// document and the router are only read after they are built.
var apiRouter = sync.OnceValues(func() (*router, error) {
	doc, err := loadSpec()
	if err != nil {
		return nil, fmt.Errorf("amptest: loading the embedded OpenAPI document: %w", err)
	}
	return newRouter(doc)
})

// router finds the operation of a request among the paths of the document.
//
// kin-openapi's legacy router cannot be used: it only knows parameters that fill a whole segment, so it takes
// PATCH .../connections/abc:oauth-update for updateConnection of the connection "abc:oauth-update", and it
// also matches a path that lacks its last variable segment. Here each path template is matched against the
// whole escaped path of the request (after /v1): a parameter matches any run of characters but '/' — empty
// too, so that validation reports an empty value as a missing parameter — and literal text, the ':' of a
// custom method included, matches only itself, unescaped. When several templates match, the one with the
// most literal characters wins (".../{connectionId}:oauth-update" over ".../{connectionId}"), and only then
// is the method looked up: GET .../abc:oauth-update is 405, while .../abc%3Aoauth-update is the connection
// "abc:oauth-update".
type router struct {
	paths []*pathRoute // most literal characters first
}

// pathRoute is one path of the document.
type pathRoute struct {
	template string // e.g. "/projects/{projectIdOrName}/connections/{connectionId}:oauth-update"
	re       *regexp.Regexp
	names    []string // the parameters, in the order of re's groups
	literal  int      // the number of literal characters of the template
	routes   map[string]*routers.Route
}

var templateParam = regexp.MustCompile(`\{([^{}/]+)\}`)

func newRouter(doc *openapi3.T) (*router, error) {
	rt := &router{}
	for template, item := range doc.Paths.Map() {
		pr := &pathRoute{template: template, routes: map[string]*routers.Route{}}
		var re strings.Builder
		re.WriteString("^")
		last := 0
		for _, m := range templateParam.FindAllStringSubmatchIndex(template, -1) {
			re.WriteString(regexp.QuoteMeta(template[last:m[0]]))
			re.WriteString("([^/]*)")
			pr.names = append(pr.names, template[m[2]:m[3]])
			pr.literal += m[0] - last
			last = m[1]
		}
		re.WriteString(regexp.QuoteMeta(template[last:]) + "$")
		pr.literal += len(template) - last
		var err error
		if pr.re, err = regexp.Compile(re.String()); err != nil {
			return nil, fmt.Errorf("amptest: path %q: %w", template, err)
		}
		for method, op := range item.Operations() {
			pr.routes[method] = &routers.Route{Spec: doc, Path: template, PathItem: item, Method: method, Operation: op}
		}
		rt.paths = append(rt.paths, pr)
	}
	sort.Slice(rt.paths, func(i, j int) bool {
		a, b := rt.paths[i], rt.paths[j]
		if a.literal != b.literal {
			return a.literal > b.literal
		}
		return a.template < b.template // deterministic
	})
	return rt, nil
}

// FindRoute returns the route of r and its path parameters, still percent-encoded as received ("a%2Fb"), or
// a *routers.RouteError: routers.ErrPathNotFound's reason when no path matches, routers.ErrMethodNotAllowed's
// when the best matching path has no operation for r.Method.
func (rt *router) FindRoute(r *http.Request) (*routers.Route, map[string]string, error) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), apiBasePath)
	if !ok || !strings.HasPrefix(rest, "/") {
		return nil, nil, &routers.RouteError{Reason: routers.ErrPathNotFound.Error()}
	}
	for _, pr := range rt.paths {
		m := pr.re.FindStringSubmatch(rest)
		if m == nil {
			continue
		}
		route := pr.routes[r.Method]
		if route == nil {
			return nil, nil, &routers.RouteError{Reason: routers.ErrMethodNotAllowed.Error()}
		}
		params := make(map[string]string, len(pr.names))
		for i, name := range pr.names {
			params[name] = m[i+1]
		}
		return route, params, nil
	}
	return nil, nil, &routers.RouteError{Reason: routers.ErrPathNotFound.Error()}
}
