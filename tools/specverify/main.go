// Command specverify checks api/openapi.yaml: it validates the document with kin-openapi's own Validate
// (examples included) and compares its operations with Ampersand's published document: each of ours with upstream's of the same
// operationId (internal/drift's Check), and every upstream operation that concerns connections must be in
// ours or listed as out of scope (internal/drift's Coverage). It is run by `make verify`.
//
//	go -C tools run ./specverify [-spec ../api/openapi.yaml] [-upstream path] [-v]
//
// The upstream document defaults to ../shared/reference/ampersand-api.bundled.json, or $UPSTREAM_SPEC. When
// it is absent the drift check is skipped and says so; the exit status is then 0 only if the document is
// valid, and -require-upstream turns the skip into a failure.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ampersand-sdk/ampersand-go/tools/drift"
)

// The defaults are relative to tools/, where `go -C tools run ./specverify` runs.
const defaultUpstream = "../../shared/reference/ampersand-api.bundled.json"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status (0 ok, 1 check failed, 2 usage).
func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("specverify", flag.ContinueOnError)
	fl.SetOutput(stderr)
	specPath := fl.String("spec", "../api/openapi.yaml", "our OpenAPI document")
	upstreamDefault := defaultUpstream
	if v := os.Getenv("UPSTREAM_SPEC"); v != "" {
		upstreamDefault = v
	}
	upstreamPath := fl.String("upstream", upstreamDefault, "Ampersand's published OpenAPI document (or $UPSTREAM_SPEC)")
	requireUpstream := fl.Bool("require-upstream", false, "fail instead of skipping the drift check when the upstream document is absent")
	verbose := fl.Bool("v", false, "also list the deliberate differences and how each upstream connection operation is classified")
	if err := fl.Parse(args); err != nil {
		return 2
	}

	ours, err := drift.Load(*specPath)
	if err != nil {
		fmt.Fprintf(stderr, "specverify: %v\n", err)
		return 1
	}
	if err := ours.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		fmt.Fprintf(stderr, "specverify: %s is not a valid OpenAPI document: %v\n", *specPath, err)
		return 1
	}
	fmt.Fprintf(stdout, "ok   %s is a valid OpenAPI %s document (examples validated)\n", *specPath, ours.OpenAPI)

	upstream, err := drift.Load(*upstreamPath)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stdout, "SKIP drift check: upstream document %s not found (set -upstream or UPSTREAM_SPEC)\n", *upstreamPath)
		if *requireUpstream {
			return 1
		}
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "specverify: upstream: %v\n", err)
		return 1
	}
	status := 0
	report := drift.Check(ours, upstream)
	printFindings(stdout, report.Lines(), *verbose)
	if !report.OK() {
		fmt.Fprintf(stderr, "specverify: %s drifts from %s: %d unexpected difference(s), %d stale and %d invalid allowance(s); fix the document or list the difference in %s with why\n",
			*specPath, *upstreamPath, len(report.Unexpected), len(report.Stale), len(report.Invalid), drift.AllowlistExtension)
		status = 1
	} else {
		fmt.Fprintf(stdout, "ok   no drift from %s (%d deliberate difference(s), listed in %s)\n", *upstreamPath, len(report.Allowed), drift.AllowlistExtension)
	}

	cov := drift.Coverage(ours, upstream)
	printFindings(stdout, cov.Lines(), *verbose)
	if !cov.OK() {
		fmt.Fprintf(stderr, "specverify: %s leaves %d of %d upstream connection operation(s) unaccounted for, with %d stale and %d invalid out-of-scope entries; add each operation to the document or list it in %s with why\n",
			*specPath, len(cov.Missing), cov.Total(), len(cov.Stale), len(cov.Invalid), drift.OutOfScopeExtension)
		return 1
	}
	fmt.Fprintf(stdout, "ok   %d upstream connection operation(s) (tagged %s, path has %s, or uses schema %s): %d covered by %s, %d out of scope (listed in %s)\n",
		cov.Total(), drift.ConnectionTag, drift.ConnectionsPath, drift.ConnectionSchema, len(cov.Covered), *specPath, len(cov.OutOfScope), drift.OutOfScopeExtension)
	if len(cov.Beyond) > 0 {
		fmt.Fprintf(stdout, "note %s also has %s, which is not counted above: upstream it is not tagged %s, its path has no %s "+
			"and it does not use schema %s (the drift check compares it all the same)\n",
			*specPath, strings.Join(cov.Beyond, ", "), drift.ConnectionTag, drift.ConnectionsPath, drift.ConnectionSchema)
	}
	return status
}

// printFindings prints the lines of a report. Findings start with an upper-case word (DRIFT, MISSING,
// STALE, INVALID); the lower-case ones (allowed, covered, excluded) are details, printed only with -v.
func printFindings(w io.Writer, lines []string, verbose bool) {
	for _, line := range lines {
		if !verbose && line != "" && unicode.IsLower(rune(line[0])) {
			continue
		}
		fmt.Fprintln(w, line)
	}
}
