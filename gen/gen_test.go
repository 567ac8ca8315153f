package gen_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/gen"
)

// The problem schemas extend each other through allOf; every field must survive generation (oapi-codegen
// drops sibling properties of a nested allOf, which is why api/openapi.yaml uses allOf members).
func TestProblemTypesKeepEveryField(t *testing.T) {
	const body = `{"type":"about:blank","title":"Bad Request","status":400,"detail":"d","instance":"urn:x",
		"subsystem":"api","time":"2024-04-22T18:55:28.456076Z","requestId":"req-1","causes":["c1"],
		"remedy":"fix it","supportEmail":"","supportPhone":"+1","supportUrl":"https://s","retryable":true,
		"retryAfter":"2024-04-22T18:56:00Z","context":{"k":"v"},
		"issues":[{"in":"body","name":"groupRef","value":42,"detail":"missing","requestId":"req-1","retryable":false}]}`
	var p gen.InputValidationProblem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	if p.RequestID != "req-1" || p.Remedy != "fix it" || p.Retryable == nil || !*p.Retryable ||
		!p.RetryAfter.Equal(time.Date(2024, 4, 22, 18, 56, 0, 0, time.UTC)) || p.Subsystem != "api" ||
		p.Status != 400 || p.Title != "Bad Request" || p.Context["k"] != "v" || len(p.Causes) != 1 || p.SupportURL != "https://s" {
		t.Errorf("fields lost: %+v", p)
	}
	if len(p.Issues) != 1 {
		t.Fatalf("issues = %+v", p.Issues)
	}
	is := p.Issues[0]
	if is.In != gen.InputValidationIssueInBody || is.Name != "groupRef" || is.Value != float64(42) ||
		is.RequestID != "req-1" || is.Retryable == nil || *is.Retryable {
		t.Errorf("issue fields lost: %+v", is)
	}

	// Absent retryable stays nil: "the server does not say" differs from false.
	var q gen.APIProblem
	if err := json.Unmarshal([]byte(`{"status":503}`), &q); err != nil || q.Retryable != nil {
		t.Errorf("absent retryable: %+v, %v", q.Retryable, err)
	}
}

// Enum constants are prefixed, readable Go; unknown values from a newer server still decode.
func TestEnums(t *testing.T) {
	for v, want := range map[gen.AuthScheme]string{
		gen.AuthSchemeNone: "none", gen.AuthSchemeAPIKey: "apiKey", gen.AuthSchemeBasic: "basic",
		gen.AuthSchemeOAuth2AuthorizationCode:     "oauth2/authorizationCode",
		gen.AuthSchemeOAuth2AuthorizationCodePKCE: "oauth2/authorizationCodePKCE",
		gen.AuthSchemeOAuth2ClientCredentials:     "oauth2/clientCredentials",
		gen.AuthSchemeOAuth2Password:              "oauth2/password",
	} {
		if string(v) != want || !v.Valid() {
			t.Errorf("%q != %q", v, want)
		}
	}
	var c gen.Connection
	if err := json.Unmarshal([]byte(`{"authScheme":"oauth2/brandNew","status":"paused"}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.AuthScheme.Valid() || c.Status.Valid() || c.AuthScheme != "oauth2/brandNew" {
		t.Errorf("unknown enum values: %+v", c)
	}
	// format: email is a plain string: an empty or odd support address must not fail the problem's decoding.
	var p gen.APIProblem
	if err := json.Unmarshal([]byte(`{"supportEmail":"support"}`), &p); err != nil || p.SupportEmail != "support" {
		t.Errorf("supportEmail: %v %+v", err, p)
	}
	if !strings.HasPrefix(string(gen.UpdateMaskFieldOAuth2ClientCredentials), "oauth2") {
		t.Error("UpdateMaskFieldOAuth2ClientCredentials")
	}
}
