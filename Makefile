# ampersand-go: the targets a contributor and CI run. `make test` is the everyday test command (README);
# `make test-all` and `make lint` are what CI runs (.ci/run).
GO            ?= go
# Runs a command and prints a line after each 20 s without output, so that a long build is never silent.
PROGRESS      := .ci/progress
# Ampersand's published OpenAPI document, for the drift check. Override: make verify UPSTREAM_SPEC=path
UPSTREAM_SPEC ?= ../shared/reference/ampersand-api.bundled.json
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHSTAT     := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
BENCH_ROUNDS  ?= 6
BENCH_FILTER  ?= ^Benchmark(Get|List10k|List10kPeakHeap|ConcurrentGet|Retry|DecodeList10k|Stream|StreamPeakHeap)$$
# ogen's client for the benchmarks, generated on demand, never committed (rule above bench, BENCHMARKS.md).
AMPOGEN       := bench/internal/ampogen/oas_client_gen.go

.PHONY: demo test test-all alloc-test browser-test generate verify verify-spec verify-generated verify-deps lint tidy-check vet bench bench-smoke

## demo: the quickstart — a connection's whole life against an in-process fake API (no network). With
## AMPERSAND_API_KEY and AMPERSAND_PROJECT set it runs against the real API instead.
demo:
	$(GO) run ./examples/quickstart

## test: the everyday test command: go vet, make verify, and every test of the module under the race
## detector, one line per package as it finishes. Measured on 2 shared cores: about 5 minutes with empty
## caches, 2 warm (README). What only CI runs is in make test-all.
test:
	@echo "== go vet ./...  (with an empty cache this first builds every package: a minute or two)"
	@$(PROGRESS) "go vet" $(GO) vet ./...
	@echo "== make verify: the spec, drift from upstream, generated code, imports, the Go API"
	@$(PROGRESS) "make verify" $(MAKE) --no-print-directory verify
	@echo "== go test -race ./...  (one line per package as it finishes)"
	@$(PROGRESS) "go test -race" $(GO) test -race -count=1 ./...
	@echo "ok   make test passed; CI also runs make test-all (fuzzing, benchmarks, otel/, tools/, a browser) and make lint"

## test-all: what CI runs before make lint (.ci/run): make test with the browser test, the allocation figures
## without the race detector, each fuzz target for FUZZTIME, the benchmarks of bench/ compiled and run once,
## and the tests of otel/, tools/ and internal/webhookref. Installs chromium when missing (.ci/browser).
test-all:
	@.ci/browser
	@AMP_BROWSER_TEST=1 $(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory alloc-test fuzz bench-smoke otel-test tools-test webhookref-test
	@echo "ok   make test-all passed"

## alloc-test: pkg/client's allocation figures, which need a build without the race detector.
alloc-test:
	@echo "== allocation figures of pkg/client (without the race detector)"
	@$(PROGRESS) "alloc-test" $(GO) test -count=1 -run 'Memory|Budget|TokenGuard' ./pkg/client

## browser-test: a real browser (Debian's chromium, installed when missing) clicks through examples/oauth and
## the fake's consent page, Allow and Deny. Screenshots: make browser-test AMP_BROWSER_SCREENSHOTS=dir
browser-test:
	@.ci/browser
	@echo "== a real browser clicks through examples/oauth and the fake's consent page"
	AMP_BROWSER_TEST=1 $(GO) test -count=1 -run TestBrowserClicksThrough -v ./examples/oauth

## fuzz: run each fuzz target of pkg/client (what go test -list '^Fuzz' lists) for FUZZTIME, one at a time.
# An execution count, not a duration: Go 1.26's coordinator can fail a target with a bare "context deadline
# exceeded" when a -fuzztime duration ends under CPU contention (go.dev/issue/75804, fixed in Go 1.27); a count
# has no deadline to race. 5000 executions take 1 to 30 s a target here (FuzzDecodeRepair checks a whole
# connection per input, so it is the slow one).
FUZZTIME ?= 5000x
.PHONY: fuzz
fuzz:
	@targets=$$($(GO) test -list '^Fuzz' ./pkg/client | grep '^Fuzz') || { echo "FAIL go test -list '^Fuzz' ./pkg/client"; exit 1; }; \
	for t in $$targets; do \
		echo "== fuzz $$t for $(FUZZTIME)"; \
		$(PROGRESS) "fuzz $$t" $(GO) test -run='^$$' -fuzz="^$$t\$$" -fuzztime=$(FUZZTIME) ./pkg/client || exit 1; \
	done

vet:
	$(GO) vet ./...

## generate: regenerate gen/ and pkg/client's generated file from api/openapi.yaml (after editing the spec).
generate:
	$(GO) generate ./...

## verify: the spec is valid, matches upstream apart from listed deliberate differences, gen/ is up to date, and
## the exported Go API is the one recorded in api/go/*.txt, every incompatible change named in CHANGELOG.md.
verify: verify-spec verify-generated verify-deps api-check

MODULE := github.com/ampersand-sdk/ampersand-go
# The tools are a module of their own (tools/go.mod); `go -C tools` runs them from there, hence absolute paths.
TOOLS := $(GO) -C tools

verify-spec:
	$(TOOLS) run ./specverify -spec "$(CURDIR)/api/openapi.yaml" -upstream "$(abspath $(UPSTREAM_SPEC))"

# Generates into a temporary file with the same generator, config and spec as `go generate`, and compares.
verify-generated:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(TOOLS) tool oapi-codegen --config="$(CURDIR)/oapi-codegen.yaml" \
		-o "$$tmp/connections.gen.go" "$(CURDIR)/api/openapi.yaml" && \
	if ! cmp -s "$$tmp/connections.gen.go" gen/connections.gen.go; then \
		diff -u gen/connections.gen.go "$$tmp/connections.gen.go" | head -60; \
		echo "FAIL gen/connections.gen.go is not what api/openapi.yaml generates: run 'make generate' and commit"; \
		exit 1; \
	fi; \
	extra=$$(ls gen | grep -v -x -e connections.gen.go -e generate.go -e '.*_test.go' || true); \
	if [ -n "$$extra" ]; then echo "FAIL unexpected files in gen/: $$extra"; exit 1; fi; \
	echo "ok   gen/ is up to date with api/openapi.yaml"
	@$(TOOLS) run ./aliasgen -gen "$(CURDIR)/gen" -client "$(CURDIR)/pkg/client" -o "$(CURDIR)/pkg/client/models.gen.go" -check

# kin-openapi (and any YAML parser) must stay out of what users' programs link, and imports flow one way.
verify-deps:
	@bad=$$($(GO) list -deps ./gen ./api ./pkg/client | grep -E 'getkin/kin-openapi|yaml|go\.opentelemetry\.io|/pkg/amptest|ampersand-go/internal' || true); \
	if [ -n "$$bad" ]; then echo "FAIL the SDK's packages import: $$bad"; exit 1; fi; \
	echo "ok   pkg/client, gen and api import no OpenAPI, YAML or OpenTelemetry library, nor amptest"
	@bad=$$($(GO) list -test -deps -f '{{with .Module}}{{.Path}}{{end}}' ./gen ./api ./pkg/client | sort -u | \
		grep -v -x -e '$(MODULE)' -e github.com/go-json-experiment/json || true); \
	if [ -n "$$bad" ]; then echo "FAIL pkg/client, gen, api or their tests build with $$bad: go mod tidy puts every such module in the go.sum of every program that imports pkg/client"; exit 1; fi; \
	echo "ok   pkg/client, gen, api and their tests build with the standard library and go-json-experiment only (a program that imports pkg/client has a go.sum of 2 lines)"
	@bad=$$($(GO) list -test -f '{{.ImportPath}}{{range .Imports}} {{.}}{{end}}' ./... | \
		awk '{for (i = 2; i <= NF; i++) if ($$i == "$(MODULE)/gen") print $$1}' | \
		grep -v -x -e '$(MODULE)/pkg/client' -e '$(MODULE)/pkg/client_test' -e '$(MODULE)/gen_test' -e '.*\.test' | sort -u || true); \
	if [ -n "$$bad" ]; then echo "FAIL only pkg/client imports package gen (users import client alone); these do too: $$bad"; exit 1; fi; \
	echo "ok   no package of the module but pkg/client imports gen (go list -test ./...)"

## lint: gofmt, go vet, staticcheck, go mod tidy, and spec-lint (and the same for tools/).
## With empty caches it builds vacuum and staticcheck first: about 5 minutes on 2 cores; then under a minute.
lint: $(AMPOGEN)
	@echo "== gofmt"
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "FAIL gofmt would change: $$out"; exit 1; fi; echo "ok   gofmt"
	@echo "== go vet ./..."
	@$(PROGRESS) "go vet" $(GO) vet ./...
	@$(MAKE) --no-print-directory spec-lint tools-lint
	@echo "== staticcheck . bench otel internal/webhookref  (first run builds staticcheck: a minute or two)"
	@$(PROGRESS) staticcheck $(GO) run $(STATICCHECK) ./...
	@cd bench && ../$(PROGRESS) staticcheck $(GO) run $(STATICCHECK) ./...
	@cd otel && ../$(PROGRESS) staticcheck $(GO) run $(STATICCHECK) ./...
	@cd internal/webhookref && ../../$(PROGRESS) staticcheck $(GO) run $(STATICCHECK) ./...
	@echo "ok   staticcheck"
	@$(MAKE) --no-print-directory tidy-check
	@echo "ok   make lint passed"

## tidy-check: go mod tidy -diff on each module, without its "go: downloading" chatter unless it fails.
tidy-check: $(AMPOGEN)
	@echo "== go mod tidy -diff  (first run downloads the test dependencies of every module)"
	@for d in . bench otel tools internal/webhookref; do \
		if ! out=$$(cd $$d && $(GO) mod tidy -diff 2>&1); then \
			echo "$$out" | grep -v '^go: downloading'; echo "FAIL $$d: go.mod or go.sum is not tidy (run go mod tidy there)"; exit 1; \
		fi; \
	done; echo "ok   go.mod and go.sum are tidy in ., bench, otel, tools and internal/webhookref"

## spec-lint: lint api/openapi.yaml with vacuum, pinned in .vacuum/go.mod (its own module, so its dependencies stay
## out of ours); the ruleset and its waivers, each with its reason, are .vacuum/ruleset.yaml and ignore.yaml.
.PHONY: spec-lint
spec-lint:
	@echo "== vacuum on api/openapi.yaml  (first run builds vacuum: about 4 minutes on 2 cores)"
	@$(PROGRESS) "building vacuum" sh -c '$(GO) -C .vacuum tool -n vacuum >/dev/null'
	@vacuum=$$($(GO) -C .vacuum tool -n vacuum) || exit 1; \
	if ! out=$$("$$vacuum" lint --ruleset .vacuum/ruleset.yaml --ignore-file .vacuum/ignore.yaml --fail-severity info \
		--remote=false --details --no-clip --no-style --no-banner api/openapi.yaml 2>&1); then \
		echo "$$out"; echo "FAIL api/openapi.yaml: vacuum findings above (rules and waivers: .vacuum/ruleset.yaml)"; exit 1; \
	fi; \
	echo "ok   api/openapi.yaml passes vacuum's recommended rules (.vacuum/ruleset.yaml)"

# The speed peer of the benchmarks, ogen's client for our spec (bench/internal/ampogen), is generated, never
# committed (.gitignore): made when missing or older than the spec, bench/ogen.yml, its go:generate lines or
# bench/go.mod, whose tool directive pins ogen (the same release as the runtime the generated code imports).
# bench, bench-smoke, lint and tidy-check need it. Under 1 s with a warm Go cache; about a minute more with empty
# caches, to download and build ogen.
$(AMPOGEN): api/openapi.yaml bench/ogen.yml bench/go.mod bench/internal/ampogen/generate.go
	@echo "== ogen: generating bench/internal/ampogen from api/openapi.yaml  (first run builds ogen: a minute or so)"
	@cd bench && ../$(PROGRESS) ogen $(GO) generate ./internal/ampogen || { rm -f ../$@; exit 1; }
	@touch $@

## bench: the benchmarks of bench/ (its own module), BENCH_ROUNDS rounds with every contender in each round
## (interleaved, so that a noisy moment hits them all), then a benchstat table. Generates ogen's client first
## when needed (above). Not part of make test.
bench: $(AMPOGEN)
	@cd bench && rm -f results.txt && for i in $$(seq $(BENCH_ROUNDS)); do \
		echo "round $$i/$(BENCH_ROUNDS)"; \
		$(GO) test -run '^$$' -bench '$(BENCH_FILTER)' -count 1 . >> results.txt || exit 1; \
	done
	cd bench && $(GO) run $(BENCHSTAT) results.txt

## bench-compare: the SDK's own benchmarks at BASE (a commit; default HEAD) and in the working tree,
## interleaved round by round (BENCH_ROUNDS), then benchstat: how a change moves them, in the same run.
BASE      ?= HEAD
SDK_BENCH ?= ^Benchmark(Get|List10k|List10kPeakHeap|ConcurrentGet)$$/sdk$$|^BenchmarkStream(PeakHeap)?$$
.PHONY: bench-compare
bench-compare: $(AMPOGEN)
	@tmp=$$(mktemp -d) && trap 'git worktree remove --force "$$tmp/base" >/dev/null 2>&1; rm -rf "$$tmp"' EXIT && \
	git worktree add -q --detach "$$tmp/base" $(BASE) && \
	if [ ! -f "$$tmp/base/$(AMPOGEN)" ]; then (cd "$$tmp/base/bench" && $(GO) generate ./internal/ampogen) || exit 1; fi && \
	for i in $$(seq $(BENCH_ROUNDS)); do \
		echo "round $$i/$(BENCH_ROUNDS)"; \
		(cd "$$tmp/base/bench" && $(GO) test -run '^$$' -bench '$(SDK_BENCH)' -benchmem -count 1 . >> "$$tmp/base.txt") || exit 1; \
		(cd bench && $(GO) test -run '^$$' -bench '$(SDK_BENCH)' -benchmem -count 1 . >> "$$tmp/new.txt") || exit 1; \
	done && \
	cd bench && $(GO) run $(BENCHSTAT) base="$$tmp/base.txt" new="$$tmp/new.txt"

## otel-test: the OpenTelemetry module (otel/, its own go.mod, so that the SDK's never requires OpenTelemetry):
## go vet and its tests under the race detector, its benchmarks compiled and run once.
.PHONY: otel-test bench-otel
otel-test:
	@echo "== otel/: go vet, go test -race, benchmarks once"
	@cd otel && ../$(PROGRESS) otel-test sh -c '$(GO) vet ./... && $(GO) test -race -count=1 ./... && $(GO) test -run "^$$" -bench . -benchtime 1x ./... > /dev/null'

## webhookref-test: pkg/client's webhook verification against Standard Webhooks' reference library, in a module
## of its own (internal/webhookref) so that the library stays out of the SDK's go.mod and its users' go.sum.
.PHONY: webhookref-test
webhookref-test:
	cd internal/webhookref && $(GO) vet ./... && $(GO) test -count=1 ./...

## bench-otel: what instrumentation costs per call, against the uninstrumented client in the same run.
bench-otel:
	@cd otel && rm -f bench.txt && for i in $$(seq $(BENCH_ROUNDS)); do \
		echo "round $$i/$(BENCH_ROUNDS)"; \
		$(GO) test -run '^$$' -bench . -benchmem -count 1 . >> bench.txt || exit 1; \
	done
	cd otel && $(GO) run $(BENCHSTAT) bench.txt

# The benchmarks compiled and each run once, so that they never rot (run by make test-all).
bench-smoke: $(AMPOGEN)
	@echo "== bench/: go vet, each benchmark run once"
	@cd bench && ../$(PROGRESS) bench-smoke sh -c '$(GO) vet ./... && $(GO) test -run "^$$" -bench . -benchtime 1x ./... > /dev/null'
	@echo "ok   bench/ benchmarks compile and run"

# ---- The Go API: snapshots, compatibility, upstream updates (tools/apicompat, CONTRIBUTING.md) ----
# The commit api-check classifies changes against. Empty: the newest v* tag reachable from HEAD (not one on HEAD
# itself when the tree is clean), else HEAD when the tree has changes, else HEAD~1.
API_BASE ?=
# update-upstream: the newly published upstream document, and a file to append the output to (CI's summary).
SPEC    ?=
SUMMARY ?=

.PHONY: api-check api-snapshot update-upstream tools-test tools-lint

## api-check: api/go/*.txt are the exported API of api, gen, pkg/amptest, pkg/client and otel/ (prints the - and
## + lines when not), and each incompatible change since API_BASE is named under "### Breaking" in CHANGELOG.md.
api-check:
	@$(TOOLS) run ./apicompat check -root "$(CURDIR)" -base "$(API_BASE)"

## api-snapshot: rewrite api/go/*.txt from the working tree (then review the diff and commit it).
api-snapshot:
	@$(TOOLS) run ./apicompat snapshot -root "$(CURDIR)"

## update-upstream: SPEC=path replaces the reference copy (UPSTREAM_SPEC) and shows what the new document
## changes: the drift check against it, what go generate ./... changes, and the Go API check against HEAD.
## Fails when anything differs. Commits nothing and never edits api/openapi.yaml.
update-upstream:
	@if [ -z "$(SPEC)" ]; then echo "usage: make update-upstream SPEC=path/to/api.bundled.json [SUMMARY=file]"; exit 2; fi
	@mkdir -p "$(dir $(abspath $(UPSTREAM_SPEC)))" && cp "$(SPEC)" "$(abspath $(UPSTREAM_SPEC))"
	@log=$$(mktemp) && trap 'rm -f "$$log"' EXIT; status=0; { \
		echo "== the drift check against the new document ($(UPSTREAM_SPEC))"; \
		$(MAKE) --no-print-directory verify-spec || status=1; \
		echo "== go generate ./..."; $(GO) generate ./... || status=1; \
		changed=$$(git status --porcelain -- gen pkg/client/models.gen.go); \
		if [ -n "$$changed" ]; then printf 'regenerated:\n%s\n' "$$changed"; status=1; else echo "ok   regeneration changes nothing"; fi; \
		echo "== the Go API against HEAD"; $(MAKE) --no-print-directory api-check API_BASE=HEAD || status=1; \
	} > "$$log" 2>&1; cat "$$log"; \
	if [ -n "$(SUMMARY)" ]; then { echo '```'; cat "$$log"; echo '```'; } >> "$(SUMMARY)"; fi; \
	exit $$status

## tools-test, tools-lint: the tests of tools/ (a module of its own, outside the ./... of ours), and its go vet
## and staticcheck.
tools-test:
	@echo "== tools/: its tests"
	@$(PROGRESS) tools-test $(TOOLS) test -count=1 ./...

tools-lint:
	@echo "== tools/: go vet, staticcheck"
	@cd tools && ../$(PROGRESS) tools-lint sh -c '$(GO) vet ./... && $(GO) run $(STATICCHECK) ./...'
