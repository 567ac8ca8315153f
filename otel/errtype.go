package ampotel

import (
	"context"
	"errors"
	"net"
	"strconv"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// The error.type values other than status codes.
const (
	errCanceled   = "context_canceled"
	errTimeout    = "timeout"
	errDecode     = "decode_error"
	errValidation = "validation_error"
	errConnection = "connection_error"
	errOther      = "_OTHER"
)

// errorType returns the error.type of err ("" for nil): the first rule that applies, see the package
// documentation. The context's errors come first because the SDK wraps them around the previous attempt's
// error ("context canceled while waiting to retry; last attempt: …"): the call ended for that reason. No
// value holds any part of an error's message.
func errorType(err error) string {
	if err == nil {
		return ""
	}
	var (
		apiErr  *client.APIError
		connErr *client.ConnectionError
		netErr  net.Error // *url.Error, the error of every http.Client.Do, is one
	)
	isConn, isNet := errors.As(err, &connErr), errors.As(err, &netErr)
	switch {
	case errors.Is(err, context.Canceled):
		return errCanceled
	case errors.Is(err, context.DeadlineExceeded), isConn && connErr.Timeout, isNet && netErr.Timeout():
		return errTimeout
	case errors.As(err, &apiErr):
		return statusType(apiErr.StatusCode)
	case errors.As(err, new(*client.DecodeError)):
		return errDecode
	case errors.As(err, new(*client.ValidationError)):
		return errValidation
	case isConn, isNet:
		return errConnection
	}
	return errOther
}

// statusTypes holds the error.type of each status code, made once.
var statusTypes = func() (s [600]string) {
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	return s
}()

// statusType returns a status code as a string without allocating.
func statusType(code int) string {
	if code >= 0 && code < len(statusTypes) {
		return statusTypes[code]
	}
	return strconv.Itoa(code)
}
