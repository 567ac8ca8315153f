package drift

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/api"
)

// outOfScope returns the edits that give coverage_ours.yaml an x-upstream-out-of-scope list of entries
// (each "operation: why"; an empty why leaves `why` out).
func outOfScope(entries ...string) []string {
	var b strings.Builder
	b.WriteString("openapi: 3.0.3\n" + OutOfScopeExtension + ":\n")
	for _, e := range entries {
		op, why, _ := strings.Cut(e, ": ")
		b.WriteString("  - operation: " + op + "\n")
		if why != "" {
			b.WriteString("    why: " + why + "\n")
		}
	}
	return []string{"openapi: 3.0.3\n", b.String()}
}

// The upstream connection operations of coverage_upstream.yaml, as the report prints them.
var fixtureConnectionOps = []string{
	"connectThing POST /connect [tagged Connection]",
	"getWrapped GET /wrapped [schema Connection at response 200 application/json |oneOf[1].connection]",
	"importThings POST /imports [schema Connection at requestBody application/json .byName{}]",
	"listConnections GET /projects/{projectId}/connections [tagged Connection, path has /connections, schema Connection at response 200 application/json []]",
	"listInstallations GET /installations [schema Connection at response 200 application/json [].connection]",
	"refreshConnection POST /projects/{projectId}/connections/{connectionId}:refresh [path has /connections]",
}

func TestConnectionOperationsMeetEachRule(t *testing.T) {
	var got []string
	for _, o := range ConnectionOperations(load(t, "coverage_upstream.yaml")) {
		got = append(got, o.String())
	}
	if !slices.Equal(got, fixtureConnectionOps) {
		t.Fatalf("connection operations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(fixtureConnectionOps, "\n"))
	}
}

func TestUncoveredConnectionOperationsFail(t *testing.T) {
	r := Coverage(load(t, "coverage_ours.yaml"), load(t, "coverage_upstream.yaml"))
	if r.OK() {
		t.Fatal("the check passed with uncovered connection operations")
	}
	var want []string
	for _, o := range fixtureConnectionOps {
		if !strings.HasPrefix(o, "listConnections ") {
			want = append(want, "MISSING  "+o+": an upstream connection operation neither in our document nor in x-upstream-out-of-scope; add it, or list it there with why")
		}
	}
	want = append(want, "covered  "+fixtureConnectionOps[3])
	if got := r.Lines(); !slices.Equal(got, want) {
		t.Fatalf("report:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r.Total() != 6 || len(r.Covered) != 1 || !slices.Equal(r.Beyond, []string{"startOAuth"}) {
		t.Errorf("total %d, covered %d, beyond %v", r.Total(), len(r.Covered), r.Beyond)
	}
}

func TestOutOfScopeEntriesPass(t *testing.T) {
	ours := load(t, "coverage_ours.yaml", outOfScope(
		"connectThing: a tag only", "getWrapped: not ours", "importThings: bulk import",
		"listInstallations: installations", "refreshConnection: deprecated upstream")...)
	r := Coverage(ours, load(t, "coverage_upstream.yaml"))
	if !r.OK() || len(r.OutOfScope) != 5 || len(r.Covered) != 1 || r.Total() != 6 {
		t.Fatalf("every connection operation accounted for must pass:\n%s", strings.Join(r.Lines(), "\n"))
	}
	if got, want := r.Lines()[1], "excluded "+fixtureConnectionOps[0]+": a tag only"; got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
}

func TestPartialOutOfScopeNamesTheRest(t *testing.T) {
	ours := load(t, "coverage_ours.yaml", outOfScope("connectThing: a tag only", "importThings: bulk import")...)
	r := Coverage(ours, load(t, "coverage_upstream.yaml"))
	var missing []string
	for _, o := range r.Missing {
		missing = append(missing, o.ID)
	}
	if r.OK() || !slices.Equal(missing, []string{"getWrapped", "listInstallations", "refreshConnection"}) {
		t.Fatalf("missing %v:\n%s", missing, strings.Join(r.Lines(), "\n"))
	}
}

func TestStaleOutOfScopeEntriesFail(t *testing.T) {
	all := []string{"connectThing: t", "getWrapped: w", "importThings: i", "listInstallations: l", "refreshConnection: r"}
	cases := []struct{ entry, want string }{
		{"noSuchOperation: gone", "STALE    noSuchOperation: listed in x-upstream-out-of-scope but upstream has no such operation; remove the entry"},
		{"getMetadata: metadata", "STALE    getMetadata: listed in x-upstream-out-of-scope but upstream's GET /providers/{provider}/metadata meets none of the rules (tagged Connection, path has /connections, uses schema Connection); remove the entry"},
		{"listConnections: ours", "STALE    listConnections: listed in x-upstream-out-of-scope but our document has it; remove the entry"},
		{"startOAuth: ours, found by no rule", "STALE    startOAuth: listed in x-upstream-out-of-scope but our document has it; remove the entry"},
	}
	for _, tc := range cases {
		t.Run(tc.entry, func(t *testing.T) {
			r := Coverage(load(t, "coverage_ours.yaml", outOfScope(append(slices.Clone(all), tc.entry)...)...), load(t, "coverage_upstream.yaml"))
			if r.OK() || len(r.Stale) != 1 || len(r.Missing) != 0 || r.Lines()[0] != tc.want {
				t.Fatalf("report:\n%s\nwant first line:\n%s", strings.Join(r.Lines(), "\n"), tc.want)
			}
		})
	}
}

func TestInvalidOutOfScopeEntriesFail(t *testing.T) {
	up := load(t, "coverage_upstream.yaml")
	cases := []struct {
		name  string
		edits []string
		want  string
	}{
		{"no why", outOfScope("connectThing"), "x-upstream-out-of-scope[0] (connectThing): `why` is empty: say why the operation is out of scope"},
		{"blank why", outOfScope(`connectThing: "  "`), "x-upstream-out-of-scope[0] (connectThing): `why` is empty: say why the operation is out of scope"},
		{"no operation", []string{"openapi: 3.0.3\n", "openapi: 3.0.3\nx-upstream-out-of-scope:\n  - why: forgot which\n"}, "x-upstream-out-of-scope[0]: `operation` is empty"},
		{"listed twice", outOfScope("connectThing: a", "connectThing: b"), `x-upstream-out-of-scope[1]: "connectThing" is listed twice`},
		{"not a list", []string{"openapi: 3.0.3\n", "openapi: 3.0.3\nx-upstream-out-of-scope: {connectThing: why}\n"}, "x-upstream-out-of-scope must be a list of {operation, why}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Coverage(load(t, "coverage_ours.yaml", tc.edits...), up)
			if r.OK() || len(r.Invalid) != 1 || !strings.HasPrefix(r.Invalid[0], tc.want) {
				t.Fatalf("invalid %q, want %q", r.Invalid, tc.want)
			}
			if tc.name == "no why" && !slices.ContainsFunc(r.Missing, func(o ConnectionOperation) bool { return o.ID == "connectThing" }) {
				t.Errorf("an entry without why must not excuse its operation: missing %v", r.Missing)
			}
		})
	}
}

func TestUpstreamWithoutConnectionSchemaFails(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "coverage_upstream.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	renamed := strings.NewReplacer("    Connection:\n", "    Conn:\n", "schemas/Connection\"", "schemas/Conn\"").Replace(string(src))
	up := parse(t, "coverage_upstream.yaml", renamed)
	if ops := ConnectionOperations(up); len(ops) != 3 {
		t.Errorf("without the schema only the tag and path rules apply, found %d operations", len(ops))
	}
	r := Coverage(load(t, "coverage_ours.yaml"), up)
	if r.OK() || !slices.ContainsFunc(r.Invalid, func(s string) bool {
		return strings.Contains(s, "has connection operations but no components.schemas.Connection")
	}) {
		t.Fatalf("an upstream document without the Connection schema must fail loudly: %q", r.Invalid)
	}
	if r := Coverage(load(t, "ours.yaml"), load(t, "upstream.yaml")); !r.OK() || r.Total() != 0 {
		t.Errorf("a document without connection operations has nothing to cover: %q", r.Lines())
	}
}

// The SDK's scope: every upstream operation that creates, reads, changes or deletes a connection.
var sdkScope = []string{"listConnections", "generateConnection", "getConnection", "updateConnection", "deleteConnection", "customAuthConnect", "oauthConnect", "oauthUpdate"}

func TestOurSpecCoversUpstreamConnectionOperations(t *testing.T) {
	up := loadUpstream(t)
	ours := parse(t, "api/openapi.yaml", string(api.OpenAPIYAML()))
	r := Coverage(ours, up)
	if !r.OK() {
		t.Fatalf("api/openapi.yaml does not account for every upstream connection operation:\n%s", strings.Join(r.Lines(), "\n"))
	}
	for _, o := range r.OutOfScope {
		for _, id := range sdkScope {
			if strings.HasPrefix(o, "excluded "+id+" ") {
				t.Errorf("%s is in the SDK's scope but listed out of scope", id)
			}
		}
	}
	t.Logf("%d upstream connection operations: %d covered, %d out of scope; beyond the rules: %v", r.Total(), len(r.Covered), len(r.OutOfScope), r.Beyond)
}
