package drift

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/getkin/kin-openapi/openapi3"
)

// Load reads and parses the OpenAPI document at path (YAML or JSON) without validating it. External
// references are refused: our document is self-contained and upstream's is bundled.
func Load(path string) (*openapi3.T, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// Parse is Load of a document already read; name is used to resolve internal references and in errors.
func Parse(data []byte, name string) (*openapi3.T, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromDataWithPath(data, &url.URL{Path: filepath.ToSlash(abs)})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return doc, nil
}
