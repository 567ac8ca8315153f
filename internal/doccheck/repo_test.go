package doccheck

import "testing"

// Every Go block of the README and CONTRIBUTING.md compiles against the module as it is (make test runs
// this): a snippet that does not, fails CI. TestBroken shows the check failing on a broken snippet.
func TestRepositoryDocsCompile(t *testing.T) {
	CheckFile(t, "../../README.md")
	CheckFile(t, "../../CONTRIBUTING.md")
}
