package client

import "net/http"

// Middleware wraps each attempt's HTTP round trip: it gets the request — after the SDK set the API key and
// its headers, and a copy of its own, which it may change — and next, which sends it on (to the next
// middleware, then the HTTP client). What it returns is what the SDK sees: the retry policy decides on it, so
// a middleware may turn a reply into an error or an error into a reply. It runs once per attempt, inside the
// retry loop; the request's context is the attempt's (with the call's values, see Hooks.CallStart).
//
//	logTimes := func(req *http.Request, next client.MiddlewareNext) (*http.Response, error) {
//		start := time.Now()
//		resp, err := next(req)
//		log.Printf("%s %s: %v", req.Method, req.URL.Path, time.Since(start))
//		return resp, err
//	}
//	c, err := client.New(client.WithMiddleware(logTimes))
type Middleware func(req *http.Request, next MiddlewareNext) (*http.Response, error)

// MiddlewareNext sends a request on: to the next middleware, or to the HTTP client.
type MiddlewareNext func(req *http.Request) (*http.Response, error)

// WithMiddleware adds middleware: given to New, for every call of the client; given to a call, for that call
// too. The client's run outside the call's, each list in the order given (the first is the outermost).
func WithMiddleware(mws ...Middleware) Option {
	return func(c *config) error {
		for _, m := range mws {
			if m == nil {
				return &ValidationError{Field: "Middleware", Reason: "is nil"}
			}
		}
		c.middleware = append(c.middleware, mws...)
		return nil
	}
}

// send sends req through the middleware to the HTTP client; without middleware it is the client's Do.
func (cfg *config) send(req *http.Request) (*http.Response, error) {
	if cfg.chain == nil {
		return cfg.doer.Do(req)
	}
	return cfg.chain(req)
}

// link builds the middleware chain, once the configuration is complete (by New, and for a call with options
// of its own), so that attempts allocate none of it.
func (cfg *config) link() {
	cfg.chain = nil
	if len(cfg.middleware) == 0 {
		return
	}
	next := MiddlewareNext(cfg.doer.Do)
	for i := len(cfg.middleware) - 1; i >= 0; i-- {
		m, inner := cfg.middleware[i], next
		next = func(req *http.Request) (*http.Response, error) { return m(req, inner) }
	}
	cfg.chain = next
}
