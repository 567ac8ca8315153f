// The in-house tools (code generation, spec and API checks), one module of their own as go-github keeps
// them, so that their dependencies (oapi-codegen, golang.org/x/tools, apidiff) stay out of the SDK's go.mod
// and out of every user's go.sum. Run them from the repository root with `go -C tools run ./NAME`.
module github.com/ampersand-sdk/ampersand-go/tools

go 1.26.0

replace github.com/ampersand-sdk/ampersand-go => ../

require (
	github.com/ampersand-sdk/ampersand-go v0.0.0-00010101000000-000000000000
	github.com/getkin/kin-openapi v0.153.0
	golang.org/x/exp v0.0.0-20261120182113-8801fbdfac81
	golang.org/x/mod v0.43.0
	golang.org/x/tools v0.53.0
)

require (
	github.com/dprotaso/go-yit v0.0.0-20220510233725-9ba8df137936 // indirect
	github.com/go-openapi/jsonpointer v0.23.1 // indirect
	github.com/go-openapi/swag/jsonname v0.26.0 // indirect
	github.com/oapi-codegen/oapi-codegen/v2 v2.8.2 // indirect
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // indirect
	github.com/speakeasy-api/jsonpath v0.6.3 // indirect
	github.com/speakeasy-api/openapi v1.24.0 // indirect
	github.com/vmware-labs/yaml-jsonpath v0.3.2 // indirect
	go.yaml.in/yaml/v3 v3.0.4 // indirect
	go.yaml.in/yaml/v4 v4.0.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/text v0.40.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

tool github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen
