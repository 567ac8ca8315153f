package contract

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ampersand-sdk/ampersand-go/api"
)

var updateSeeds = flag.Bool("update", false, "rewrite pkg/client/testdata/examples from the spec")

// pkg/client's fuzz targets take their seeds from pkg/client/testdata/examples (its tests may not read the
// spec: see CONTRIBUTING.md): the files must hold exactly the spec's examples, one JSON value a line, sorted —
// request and 2xx response bodies in success.jsonl, error response bodies in problems.jsonl. After a change
// of the spec's examples: go test ./internal/contract -run TestFuzzSeedsAreTheSpecExamples -update.
func TestFuzzSeedsAreTheSpecExamples(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML())
	if err != nil {
		t.Fatal(err)
	}
	var success, problems [][]byte
	add := func(dst *[][]byte, content openapi3.Content) {
		for _, mt := range content {
			values := []any{mt.Example}
			for _, ex := range mt.Examples {
				if ex != nil && ex.Value != nil {
					values = append(values, ex.Value.Value)
				}
			}
			for _, v := range values {
				if b, err := json.Marshal(v); v != nil && err == nil {
					*dst = append(*dst, b)
				}
			}
		}
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				add(&success, op.RequestBody.Value.Content)
			}
			for code, resp := range op.Responses.Map() {
				if resp.Value == nil {
					continue
				}
				if strings.HasPrefix(code, "2") {
					add(&success, resp.Value.Content)
				} else {
					add(&problems, resp.Value.Content)
				}
			}
		}
	}
	for name, values := range map[string][][]byte{"success.jsonl": success, "problems.jsonl": problems} {
		slices.SortFunc(values, bytes.Compare)
		values = slices.CompactFunc(values, bytes.Equal)
		want := append(bytes.Join(values, []byte("\n")), '\n')
		path := "../../pkg/client/testdata/examples/" + name
		if *updateSeeds {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s does not hold the spec's examples (%v): run go test ./internal/contract -run %s -update",
				path, err, t.Name())
		}
	}
}
