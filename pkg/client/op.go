package client

import (
	"context"
	"io"
	"net/http"
)

// operation is what the pipeline knows of an API operation.
type operation struct {
	id         string // the operationId, in errors, logs and traces
	method     string // the HTTP method and path template, in traces
	route      string
	idempotent bool  // repeating it is safe: retried after any retryable failure (see retryable)
	maxBody    int64 // the default limit on its success body
	streaming  bool  // its results are yielded as they are decoded (All): MaxElapsedTime bounds only the retries
}

// endpoint is the whole description of one operation, written once (see connections.go): the operation,
// the checks a request must pass before any I/O, how its HTTP request is built, and how a success body
// becomes its result. Req is the SDK's request struct, Res the result.
type endpoint[Req, Res any] struct {
	operation
	project func(req *Req) string // the project the request addresses (for hooks and traces)
	check   func(req *Req) error
	build   func(server string, req *Req) (*http.Request, error)
	decode  func(r reply, out *Res) error // nil: the SDK reads no success body
}

// reply is a success reply as a decoder sees it.
type reply struct {
	body   io.Reader  // the body, under its size limit
	length int64      // its announced length, capped at the limit; ≤ 0 when unknown
	server *serverURL // the configured server (a returned URL is checked against it)
}

// call runs e for req: the checks, then the pipeline (Client.do) with e's builder and decoder.
func (e *endpoint[Req, Res]) call(ctx context.Context, c *Client, req Req, opts []Option) (Res, error) {
	var out Res
	if e.check != nil {
		if err := e.check(&req); err != nil {
			return out, err
		}
	}
	var decode func(reply) error
	if e.decode != nil {
		decode = func(r reply) error { return e.decode(r, &out) }
	}
	if err := c.do(ctx, &e.operation, e.project(&req), opts, func(server string) (*http.Request, error) { return e.build(server, &req) }, decode); err != nil {
		var zero Res
		return zero, err
	}
	return out, nil
}
