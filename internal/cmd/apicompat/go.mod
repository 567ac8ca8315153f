// The Go API snapshot and compatibility tool (apicompat), in a module of its own so that golang.org/x/exp
// (apidiff) and the golang.org/x/tools it needs stay out of the SDK's go.mod: they would raise the versions
// that every program importing the SDK selects, and the bench/ module's go.mod would have to follow. The
// Makefile runs it with `go -C internal/cmd/apicompat run .`.
module github.com/ampersand-sdk/ampersand-go/internal/cmd/apicompat

go 1.26.0

require (
	go.yaml.in/yaml/v3 v3.0.4
	golang.org/x/exp v0.0.0-20261113113407-e3970619a1a4
	golang.org/x/mod v0.42.0
	golang.org/x/tools v0.52.1-0.20261106145633-d407941a339a
)

require golang.org/x/sync v0.24.0 // indirect
