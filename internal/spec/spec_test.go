package spec

import (
	"context"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/api"
)

func TestEmbeddedSpecLoadsAndValidates(t *testing.T) {
	doc, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Servers[0].URL; got != "https://api.withampersand.com/v1" {
		t.Errorf("server = %q", got)
	}
	ids := map[string]bool{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			ids[op.OperationID] = true
		}
	}
	for _, id := range []string{"listConnections", "generateConnection", "getConnection", "updateConnection", "deleteConnection"} {
		if !ids[id] {
			t.Errorf("missing operation %s", id)
		}
	}
}

// Every problem is reported at its JSON pointer and source line, and each only once: not again wherever the
// broken schema is referenced.
func TestValidateNamesPointerAndLine(t *testing.T) {
	src := string(api.OpenAPIYAML())
	broken := strings.Replace(src, "          example: [oauth, offline, crm.read]", "          example: oauth", 1)
	broken = strings.Replace(broken, "                  scopes: [api, refresh_token, offline_access]\n                  createTime:",
		"                  scopes: [api, refresh_token, offline_access]\n                  createTime: yesterday\n                  updateTime:", 1)
	if broken == src {
		t.Fatal("edits did not apply")
	}
	doc, err := Parse([]byte(broken), "broken.yaml")
	if err != nil {
		t.Fatal(err)
	}
	problems := Validate(context.Background(), doc, []byte(broken))
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	want := []string{
		"/components/schemas/ProviderApp/properties/scopes: invalid example: value must be an array",
		`/paths/~1projects~1{projectIdOrName}~1connections~1{connectionId}/get/responses/200/content/application~1json: invalid example: Error at "/providerApp/createTime"`,
	}
	if len(problems) != len(want) {
		t.Fatalf("want %d problems, got %d:\n%s", len(want), len(problems), strings.Join(got, "\n"))
	}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
		}
		if problems[i].Line == 0 {
			t.Errorf("problem %d has no line", i)
		}
	}
	// The pointer is the scopes property: its first line is the one after `scopes:`.
	if want := lineNumber(broken, "        scopes:\n          type: array\n          description: The OAuth scopes") + 1; problems[0].Line != want {
		t.Errorf("line = %d, want %d", problems[0].Line, want)
	}
	if _, err := Parse([]byte("openapi: 3.0.3\ninfo: [\n"), "bad.yaml"); err == nil || !strings.Contains(err.Error(), "bad.yaml") {
		t.Errorf("unparsable input: err = %v", err)
	}
}

func lineNumber(src, needle string) int {
	i := strings.Index(src, needle)
	return strings.Count(src[:i], "\n") + 1
}
