// Package sub lives in a nested module and uses the root module's lib.
package sub

import "example.com/nested/lib"

// Wrap wraps a client.
func Wrap(c *lib.Client) *lib.Client { return c }
