// Package api holds the OpenAPI document of the Ampersand connections endpoints, the single source of truth
// for this module: package gen is generated from it, and the fake server in pkg/amptest validates every
// request and response against it.
//
// The document is embedded as bytes so that using it costs no parsing and no dependency: programs that only
// import pkg/client never load an OpenAPI library.
package api

import (
	"bytes"
	_ "embed"
)

//go:embed openapi.yaml
var openAPIYAML []byte

// OpenAPIYAML returns the OpenAPI 3.0 document (api/openapi.yaml) as YAML bytes. Each call returns a new copy,
// so callers may modify it.
func OpenAPIYAML() []byte { return bytes.Clone(openAPIYAML) }
