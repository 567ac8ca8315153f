# ampersand-go: the targets a contributor and CI run. `make test` is the test command (README, .ci/run).
GO            ?= go
# Ampersand's published OpenAPI document, for the drift check. Override: make verify UPSTREAM_SPEC=path
UPSTREAM_SPEC ?= ../shared/reference/ampersand-api.bundled.json
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: demo test generate verify verify-spec verify-generated verify-deps lint vet

## demo: the quickstart — a connection's whole life against an in-process fake API (no network). With
## AMPERSAND_API_KEY and AMPERSAND_PROJECT set it runs against the real API instead.
demo:
	$(GO) run ./examples/quickstart

## test: go vet, make verify, and every test under the race detector.
test: vet verify
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

## generate: regenerate gen/ from api/openapi.yaml (after editing the spec).
generate:
	$(GO) generate ./...

## verify: the spec is valid, matches upstream apart from listed deliberate differences, and gen/ is up to date.
verify: verify-spec verify-generated verify-deps

verify-spec:
	$(GO) run ./internal/cmd/specverify -spec api/openapi.yaml -upstream $(UPSTREAM_SPEC)

# Generates into a temporary file with the same generator, config and spec as `go generate`, and compares.
verify-generated:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(GO) run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen --config=oapi-codegen.yaml \
		-o "$$tmp/connections.gen.go" api/openapi.yaml && \
	if ! cmp -s "$$tmp/connections.gen.go" gen/connections.gen.go; then \
		diff -u gen/connections.gen.go "$$tmp/connections.gen.go" | head -60; \
		echo "FAIL gen/connections.gen.go is not what api/openapi.yaml generates: run 'make generate' and commit"; \
		exit 1; \
	fi; \
	extra=$$(ls gen | grep -v -x -e connections.gen.go -e generate.go -e '.*_test.go' || true); \
	if [ -n "$$extra" ]; then echo "FAIL unexpected files in gen/: $$extra"; exit 1; fi; \
	echo "ok   gen/ is up to date with api/openapi.yaml"

# kin-openapi (and any YAML parser) must stay out of what users' programs link, and imports flow one way.
verify-deps:
	@bad=$$($(GO) list -deps ./gen ./api ./pkg/client | grep -E 'getkin/kin-openapi|yaml|/pkg/amptest|ampersand-go/internal' || true); \
	if [ -n "$$bad" ]; then echo "FAIL the SDK's packages import: $$bad"; exit 1; fi; \
	echo "ok   pkg/client, gen and api import no OpenAPI or YAML library, nor amptest"

## lint: gofmt, go vet, staticcheck, go mod tidy.
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "FAIL gofmt would change: $$out"; exit 1; fi
	$(GO) run $(STATICCHECK) ./...
	$(GO) mod tidy -diff
