// Command apicompat records the module's exported Go API and says which changes break its users.
//
//	apicompat snapshot [-root dir]             rewrite api/go/*.txt from the working tree     (make api-snapshot)
//	apicompat check    [-root dir] [-base rev] compare, classify, apply CHANGELOG.md           (make api-check)
//	apicompat upstream -spec new.json [-upstream ref.json] [-summary file]   (make update-upstream SPEC=…)
//
// A snapshot, one file per public package, lists every exported declaration on its own line, sorted, in the
// form of Go's api/go1.N.txt: `pkg github.com/…/pkg/client, func New(...Option) (*Client, error)`. check fails
// when a snapshot is not the working tree's API, printing the removed (-) and added (+) lines, and classifies
// every change since the base commit (chooseBase: $API_BASE, else the newest v* tag, else HEAD or HEAD~1)
// with golang.org/x/exp/apidiff. An incompatible change passes only when an entry of a "### Breaking"
// subsection of CHANGELOG.md's [Unreleased] section names it (see names); a compatible one needs only the
// snapshot. upstream is the maintainer's step for a newly published upstream OpenAPI document (see Upstream).
//
// The base is read with git archive into a temporary directory and type-checked there; the working tree in
// place. Each package is loaded through `go list` in the module that holds it, so a package of a nested
// module (otel/) is supported and an optional package whose directory is absent is skipped.
//
// It is a module of its own (see go.mod). Run from the repository root: go -C internal/cmd/apicompat run . …
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Package is one public package whose API is recorded.
type Package struct {
	Dir      string   // directory, slash-separated and relative to the repository root ("pkg/client")
	Snapshot string   // its snapshot file, relative to the root ("api/go/client.txt")
	Optional bool     // an absent directory is skipped, not an error (a module that does not exist yet)
	Volatile []string // constants whose value changes by policy, so a new value is compatible ("Version")
}

// defaultPackages are the module's public packages, and otel/, a module of its own.
var defaultPackages = []Package{
	{Dir: "api", Snapshot: "api/go/api.txt"},
	{Dir: "gen", Snapshot: "api/go/gen.txt"},
	{Dir: "pkg/amptest", Snapshot: "api/go/amptest.txt"},
	// client.Version is the SDK's version, sent in the User-Agent; it moves with every release.
	{Dir: "pkg/client", Snapshot: "api/go/client.txt", Volatile: []string{"Version"}},
	// ampotel.Version is the otel module's version, the instrumentation scope's; it moves with its releases.
	{Dir: "otel", Snapshot: "api/go/otel.txt", Volatile: []string{"Version"}},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status (0 ok, 1 check failed or differences found,
// 2 usage or a tool failure).
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: apicompat snapshot|check|upstream [flags]")
		return 2
	}
	cmd, args := args[0], args[1:]
	fl := flag.NewFlagSet("apicompat "+cmd, flag.ContinueOnError)
	fl.SetOutput(stderr)
	root := fl.String("root", ".", "repository root")
	pkgList := fl.String("packages", "", "dir=snapshot[,…] to record instead of the module's public packages")
	base := fl.String("base", os.Getenv("API_BASE"), "commit to classify changes against (default $API_BASE, else the newest v* tag, else HEAD)")
	var specPath, upstreamPath, summary *string
	if cmd == "upstream" {
		specPath = fl.String("spec", "", "the newly published upstream OpenAPI document (required)")
		upstreamPath = fl.String("upstream", defaultUpstream, "the reference copy that it replaces (make's UPSTREAM_SPEC)")
		summary = fl.String("summary", "", "also append the summary as Markdown to this file (e.g. $GITHUB_STEP_SUMMARY)")
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	pkgs, err := parsePackages(*pkgList)
	if err != nil {
		fmt.Fprintln(stderr, "apicompat:", err)
		return 2
	}
	absRoot, err := filepath.Abs(*root)
	if err != nil {
		fmt.Fprintln(stderr, "apicompat:", err)
		return 2
	}
	switch cmd {
	case "snapshot":
		err = writeSnapshots(absRoot, pkgs, stdout)
	case "check":
		var ok bool
		ok, err = runCheck(absRoot, pkgs, *base, stdout)
		if err == nil && !ok {
			return 1
		}
	case "upstream":
		if *specPath == "" {
			fmt.Fprintln(stderr, "apicompat upstream: -spec is required (make update-upstream SPEC=path)")
			return 2
		}
		opts := UpstreamOptions{Root: absRoot, Spec: *specPath, Reference: *upstreamPath, Base: *base, Packages: pkgs}
		var s *Summary
		if s, err = Upstream(opts); err == nil {
			fmt.Fprint(stdout, s.Text())
			if *summary != "" {
				err = appendFile(*summary, s.Markdown())
			}
			if err == nil && s.Differs() {
				return 1
			}
		}
	default:
		fmt.Fprintf(stderr, "apicompat: unknown command %q (snapshot, check or upstream)\n", cmd)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "apicompat:", err)
		return 2
	}
	return 0
}

// parsePackages reads -packages; empty means defaultPackages.
func parsePackages(s string) ([]Package, error) {
	if s == "" {
		return defaultPackages, nil
	}
	var out []Package
	for _, item := range strings.Split(s, ",") {
		dir, snap, ok := strings.Cut(item, "=")
		if !ok || dir == "" || snap == "" {
			return nil, fmt.Errorf("-packages: %q is not dir=snapshot", item)
		}
		out = append(out, Package{Dir: dir, Snapshot: snap, Optional: true})
	}
	return out, nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
