// Package lib is a package of the fixture's root module.
package lib

// Client is used by the nested module.
type Client struct{ Name string }
