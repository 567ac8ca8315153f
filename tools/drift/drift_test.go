package drift

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ampersand-sdk/ampersand-go/api"
)

func load(t *testing.T, name string, edits ...string) *openapi3.T {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return parse(t, name, string(data), edits...)
}

// parse applies edits (pairs of old, new; each old must occur) to src and loads the result.
func parse(t *testing.T, name, src string, edits ...string) *openapi3.T {
	t.Helper()
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(src, edits[i]) {
			t.Fatalf("%s: edit %d: %q not found", name, i/2, edits[i])
		}
		src = strings.Replace(src, edits[i], edits[i+1], 1)
	}
	doc, err := Parse([]byte(src), name)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func lines(ds []Difference) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String() + "\n")
	}
	return b.String()
}

func TestLayoutIsNotDrift(t *testing.T) {
	up := load(t, "upstream.yaml")
	ours := load(t, "ours.yaml")
	got := Compare(ours, up)
	if len(got) != 0 {
		t.Fatalf("renamed components, allOf members and $ref parameters must not count as drift, got:\n%s", lines(got))
	}
	if got := Compare(up, up); len(got) != 0 {
		t.Fatalf("a document differs from itself:\n%s", lines(got))
	}
}

func TestEachBreakIsNamed(t *testing.T) {
	up := load(t, "upstream.yaml")
	cases := []struct {
		name  string
		edits []string
		want  []string // each must appear as a whole report line
	}{
		{
			name:  "renamed query parameter",
			edits: []string{"{name: verbose, in: query", "{name: verbosity, in: query"},
			want: []string{
				"getThing parameter query:verbose: missing here (upstream has it)",
				"getThing parameter query:verbosity: not upstream",
			},
		},
		{
			name:  "dropped required field of a response",
			edits: []string{"required: [createTime, id]", "required: [createTime]"},
			want: []string{
				"getThing response 200 application/json required id: required upstream, optional here",
				"makeThing response 201 application/json required id: required upstream, optional here",
			},
		},
		{
			name:  "dropped required field of an allOf request body",
			edits: []string{"          required: [name]\n", "          required: []\n"},
			want:  []string{"makeThing requestBody application/json required name: required upstream, optional here"},
		},
		{
			name:  "changed type deep inside",
			edits: []string{"        value: {type: string}", "        value: {type: integer}"},
			want: []string{
				`getThing response 200 application/json .meta{}.value type: ours [integer], upstream [string]`,
				`makeThing response 201 application/json .meta{}.value type: ours [integer], upstream [string]`,
			},
		},
		{
			name:  "changed format",
			edits: []string{"createTime: {type: string, format: date-time}", "createTime: {type: string, format: date}"},
			want: []string{
				`getThing response 200 application/json .createTime format: ours "date", upstream "date-time"`,
				`makeThing response 201 application/json .createTime format: ours "date", upstream "date-time"`,
			},
		},
		{
			name:  "extra enum value",
			edits: []string{"enum: [slow, fast]", "enum: [slow, fast, warp]"},
			want:  []string{`getThing parameter query:mode schema enum: ours ["fast", "slow", "warp"], upstream ["fast", "slow"]`},
		},
		{
			name:  "renamed property",
			edits: []string{"        owner: {type: string}", "        ownerRef: {type: string}"},
			want: []string{
				"makeThing requestBody application/json property owner: missing here (upstream has it)",
				"makeThing requestBody application/json property ownerRef: not upstream",
			},
		},
		{
			name:  "property lost from an allOf member",
			edits: []string{"            retryable: {type: boolean}\n", ""},
			want:  []string{"getThing response default application/problem+json property retryable: missing here (upstream has it)"},
		},
		{
			name:  "response code removed and media type changed",
			edits: []string{"        default:\n          description: error\n          content:\n            application/problem+json:", "        default:\n          description: error\n          content:\n            application/json:"},
			want: []string{
				"getThing response default application/json: media type not upstream",
				"getThing response default application/problem+json: media type missing here (upstream has it)",
			},
		},
		{
			name:  "required request body",
			edits: []string{"      requestBody:\n        content:", "      requestBody:\n        required: true\n        content:"},
			want:  []string{"makeThing requestBody.required: ours true, upstream false"},
		},
		{
			name:  "path changed",
			edits: []string{"  /things:generate:", "  /things/generate:"},
			want:  []string{`makeThing path: ours "/things/generate", upstream "/things:generate"`},
		},
		{
			name:  "security scheme changed",
			edits: []string{"APIKeyHeader: {type: apiKey, in: header, name: X-Api-Key}", "APIKeyHeader: {type: apiKey, in: query, name: key}"},
			want:  []string{"security: ours [apiKey query key], upstream [apiKey header X-Api-Key]"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ours := load(t, "ours.yaml", tc.edits...)
			got := lines(Compare(ours, up))
			for _, w := range tc.want {
				if !strings.Contains("\n"+got, "\n"+w+"\n") {
					t.Errorf("missing line %q in report:\n%s", w, got)
				}
			}
			if n := strings.Count(got, "\n"); n != len(tc.want) {
				t.Errorf("want exactly %d difference(s), got %d:\n%s", len(tc.want), n, got)
			}
			r := Check(ours, up)
			if r.OK() {
				t.Errorf("Check passed a broken document")
			}
		})
	}
}

func TestAllowlist(t *testing.T) {
	up := load(t, "upstream.yaml")
	const allow = "x-upstream-drift:\n  - at: \"makeThing requestBody.required\"\n    why: a body is needed\n"
	ours := load(t, "ours.yaml",
		"openapi: 3.0.3\n", "openapi: 3.0.3\n"+allow,
		"      requestBody:\n        content:", "      requestBody:\n        required: true\n        content:")
	r := Check(ours, up)
	if !r.OK() || len(r.Allowed) != 1 {
		t.Fatalf("an allowed difference must pass: %+v", r)
	}
	if got := strings.Join(r.Lines(), "\n"); got != "allowed  makeThing requestBody.required: ours true, upstream false" {
		t.Errorf("report = %q", got)
	}

	t.Run("stale entry fails", func(t *testing.T) {
		r := Check(load(t, "ours.yaml", "openapi: 3.0.3\n", "openapi: 3.0.3\n"+allow), up)
		if r.OK() || len(r.Stale) != 1 || !strings.Contains(r.Lines()[0], "STALE    makeThing requestBody.required") {
			t.Fatalf("a stale allowance must fail and be named: %v", r.Lines())
		}
	})
	t.Run("entry without why fails", func(t *testing.T) {
		doc := load(t, "ours.yaml", "openapi: 3.0.3\n", "openapi: 3.0.3\nx-upstream-drift:\n  - at: security\n",
			"APIKeyHeader: {type: apiKey, in: header, name: X-Api-Key}", "APIKeyHeader: {type: apiKey, in: query, name: key}")
		r := Check(doc, up)
		if r.OK() || len(r.Invalid) != 1 || !strings.Contains(r.Invalid[0], "`why` is empty") {
			t.Fatalf("an allowance must say why: %+v", r)
		}
	})
}

// upstreamPath finds the upstream document the way the verifier does.
func upstreamPath(t *testing.T) string {
	if p := os.Getenv("UPSTREAM_SPEC"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "reference", "ampersand-api.bundled.json")
}

func loadUpstream(t *testing.T) *openapi3.T {
	t.Helper()
	path := upstreamPath(t)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("SKIP: upstream document not found at %s (set UPSTREAM_SPEC): drift against upstream NOT checked", path)
	}
	doc, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestOurSpecMatchesUpstream(t *testing.T) {
	up := loadUpstream(t)
	ours := parse(t, "api/openapi.yaml", string(api.OpenAPIYAML()))
	r := Check(ours, up)
	if !r.OK() {
		t.Fatalf("api/openapi.yaml drifts from upstream:\n%s", strings.Join(r.Lines(), "\n"))
	}
	for _, id := range sdkScope {
		if _, ok := operations(ours)[id]; !ok {
			t.Errorf("operation %s missing from api/openapi.yaml", id)
		}
	}
	if n := len(operations(ours)); n != len(sdkScope) {
		t.Errorf("api/openapi.yaml has %d operations, want exactly the %d of the SDK's scope", n, len(sdkScope))
	}
}

func TestBreakingOurSpecIsCaught(t *testing.T) {
	up := loadUpstream(t)
	ours := parse(t, "api/openapi.yaml", string(api.OpenAPIYAML()),
		"        - name: consumerRef\n          in: query\n", "        - name: consumer\n          in: query\n",
		"          required: [groupRef, consumerRef, provider]", "          required: [consumerRef, provider]",
		"      required: [createTime, groupName, groupRef, projectId]", "      required: [createTime, groupRef, projectId]")
	got := strings.Join(Check(ours, up).Lines(), "\n")
	for _, w := range []string{
		"DRIFT    listConnections parameter query:consumerRef: missing here (upstream has it)",
		"DRIFT    listConnections parameter query:consumer: not upstream",
		"DRIFT    generateConnection requestBody application/json required groupRef: required upstream, optional here",
		"DRIFT    getConnection response 200 application/json .group required groupName: required upstream, optional here",
		"DRIFT    listConnections response 200 application/json [].group required groupName: required upstream, optional here",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
}
