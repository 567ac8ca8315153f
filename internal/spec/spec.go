// Package spec loads the embedded api/openapi.yaml with kin-openapi and validates it, examples included.
//
// It remains only for pkg/client's tests, which are moving off it (issue 22: pkg/client's tests import only
// the standard library, JSON, gen and pkg/client); delete it with their last import. pkg/amptest loads the
// document itself, and tools/specverify checks it for make verify.
package spec

import (
	"context"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ampersand-sdk/ampersand-go/api"
)

// Load parses the embedded document and validates it with kin-openapi's Validate, examples included.
func Load() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML())
	if err != nil {
		return nil, fmt.Errorf("api/openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("api/openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	return doc, nil
}
