package client

import (
	"context"
	"iter"
)

// All returns the connections of a project that match the filters, one at a time, decoded while the body
// streams: the memory it holds does not grow with the list (each yielded *Connection is the caller's, to
// keep or drop). It is ConnectionsAll.
//
//	for conn, err := range c.Connections.All(ctx, client.ListConnectionsRequest{ProjectIDOrName: "p"}) {
//		if err != nil {
//			return err // the iteration ends after an error
//		}
//		sync(conn)
//	}
//
// It sends the same request as List and applies the same checks, size limit and error types. A failure
// before the first connection is retried as List's; a failure after connections were yielded ends the
// iteration with that error (a *ConnectionError, a *DecodeError or the context's error) and is never retried,
// so no connection is yielded twice. Breaking out of the loop closes the body at once. The context and
// WithTimeout bound the whole iteration, the loop's own work included, and are checked before every
// connection is yielded: once the context is cancelled (in the loop body, say) or WithTimeout has passed, the
// loop gets no further connection, even one already buffered, and ends with the context's error (a timed-out
// *ConnectionError for WithTimeout). RetryConfig.MaxElapsedTime bounds the retries before the first
// connection, not the iteration. However the loop ends — break, an error, a panic or runtime.Goexit in its
// body — the call ends there: hooks see CallEnd once (a panic then goes on to the caller).
func (s *ConnectionsService) All(ctx context.Context, req ListConnectionsRequest, opts ...Option) iter.Seq2[*Connection, error] {
	return ConnectionsAll(ctx, s.owner(), req, opts...)
}

// ConnectionsAll is the standalone form of Client.Connections.All (listConnections, streamed).
func ConnectionsAll(ctx context.Context, c *Client, req ListConnectionsRequest, opts ...Option) iter.Seq2[*Connection, error] {
	return func(yield func(*Connection, error) bool) {
		stopped := false
		e := *listConnections // the same operation, with a decoder that yields
		e.streaming = true
		e.decode = func(r reply, _ *[]Connection) error {
			n, err := decodeEach(r.body, r.rep, func(conn *Connection) bool {
				stopped = !yield(conn, nil)
				return !stopped
			})
			*r.handedOut = n > 0
			return err
		}
		if _, err := e.call(ctx, c, req, opts); err != nil && !stopped {
			yield(nil, err)
		}
	}
}
