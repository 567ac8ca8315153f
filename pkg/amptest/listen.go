package amptest

import (
	"errors"
	"net"
	"strconv"
)

// WithListener makes the server accept connections on l (for example one bound to a fixed address, as
// `amp fake serve --addr` does) instead of a new listener on a random loopback port. Server.URL is derived
// from l's address; Close closes l.
func WithListener(l net.Listener) Option {
	return func(c *config) {
		if l == nil {
			c.errs = append(c.errs, errors.New("WithListener: the listener must not be nil"))
			return
		}
		c.listener = l
	}
}

// originOf returns the scheme and host of a server listening on addr, as a client on the same host reaches
// it: a listener on every interface (0.0.0.0 or [::], which is how Go reports both) is reached on loopback.
func originOf(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
	}
	return "http://" + addr.String()
}
