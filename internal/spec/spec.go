// Package spec loads api/openapi.yaml with kin-openapi and validates it, reporting every problem with the
// JSON pointer of the element at fault (and its line in the source when it can be found).
//
// It is internal: kin-openapi must stay out of the import graph of pkg/client, so only the verifier, the tests
// and pkg/amptest load the document as a model; everything else uses the bytes from package api.
package spec

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ampersand-sdk/ampersand-go/api"
)

// Load parses the embedded document (package api) and validates it, examples included. It fails when the
// document has any problem, naming each one.
func Load() (*openapi3.T, error) {
	data := api.OpenAPIYAML()
	doc, err := Parse(data, "api/openapi.yaml")
	if err != nil {
		return nil, err
	}
	if problems := Validate(context.Background(), doc, data); len(problems) > 0 {
		return nil, Problems(problems)
	}
	return doc, nil
}

// LoadFile parses the document at path (YAML or JSON) without validating it.
func LoadFile(path string) (doc *openapi3.T, data []byte, err error) {
	data, err = os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	doc, err = Parse(data, path)
	return doc, data, err
}

// Parse decodes an OpenAPI document and resolves its internal references. External references are refused:
// our document is self-contained and the upstream one is bundled. name is used in error messages only.
func Parse(data []byte, name string) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	abs, err := filepath.Abs(name)
	if err != nil {
		abs = name
	}
	doc, err := loader.LoadFromDataWithPath(data, &url.URL{Path: filepath.ToSlash(abs)})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return doc, nil
}
