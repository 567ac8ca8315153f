package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const ourSpec = "../../../api/openapi.yaml"

func upstream(t *testing.T) string {
	t.Helper()
	p := os.Getenv("UPSTREAM_SPEC")
	if p == "" {
		p = "../../../../shared/reference/ampersand-api.bundled.json"
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("SKIP: upstream document not found at %s: drift NOT checked here", p)
	}
	return p
}

func runCmd(args ...string) (int, string) {
	var out bytes.Buffer
	code := run(args, &out, &out)
	return code, out.String()
}

func TestOurSpecPasses(t *testing.T) {
	code, out := runCmd("-spec", ourSpec, "-upstream", upstream(t), "-v")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, w := range []string{"ok   " + ourSpec + " is a valid OpenAPI 3.0.3 document", "allowed  security:", "ok   no drift from"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestBrokenSpecFailsNamingTheBreak(t *testing.T) {
	src, err := os.ReadFile(ourSpec)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(src), "      required: [id, createTime, group, consumer, projectId, provider, authScheme, status]",
		"      required: [id, createTime, group, consumer, projectId, authScheme, status]", 1)
	broken = strings.Replace(broken, "        - name: includeCreds\n", "        - name: includeCredentials\n", 1)
	path := filepath.Join(t.TempDir(), "openapi.yaml")
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runCmd("-spec", path, "-upstream", upstream(t))
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, w := range []string{
		"DRIFT    getConnection parameter query:includeCreds: missing here (upstream has it)",
		"DRIFT    getConnection parameter query:includeCredentials: not upstream",
		"DRIFT    getConnection response 200 application/json required provider: required upstream, optional here",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestInvalidSpecFailsWithPointer(t *testing.T) {
	src, err := os.ReadFile(ourSpec)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(src), "          example: ifExpired\n      responses:", "          example: sometimes\n      responses:", 1)
	path := filepath.Join(t.TempDir(), "openapi.yaml")
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runCmd("-spec", path, "-upstream", "/nonexistent")
	if code != 1 || !strings.Contains(out, "/paths/~1projects~1{projectIdOrName}~1connections~1{connectionId}/get/parameters/4") {
		t.Fatalf("exit %d, want 1 and the parameter's pointer:\n%s", code, out)
	}
}

func TestMissingUpstreamIsSkippedLoudly(t *testing.T) {
	code, out := runCmd("-spec", ourSpec, "-upstream", "/nonexistent/upstream.json")
	if code != 0 || !strings.Contains(out, "SKIP drift check: upstream document /nonexistent/upstream.json not found") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, out = runCmd("-spec", ourSpec, "-upstream", "/nonexistent/upstream.json", "-require-upstream")
	if code != 1 || !strings.Contains(out, "SKIP") {
		t.Fatalf("-require-upstream: exit %d:\n%s", code, out)
	}
}
