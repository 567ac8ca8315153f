package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// defaultUpstream is where the drift check finds Ampersand's published document (make's UPSTREAM_SPEC).
const defaultUpstream = "../shared/reference/ampersand-api.bundled.json"

// UpstreamOptions configure Upstream. Paths are relative to Root unless absolute.
type UpstreamOptions struct {
	Root      string
	Spec      string    // the newly published upstream document
	Reference string    // the reference copy it replaces (default defaultUpstream)
	OurSpec   string    // our document (default api/openapi.yaml)
	Base      string    // what the Go API is classified against (default HEAD: the changes regeneration made)
	Packages  []Package // default defaultPackages
	// DriftCmd runs the drift check; {ours} and {upstream} are replaced by the documents' paths. Default:
	// go run ./internal/cmd/specverify -spec {ours} -upstream {upstream}.
	DriftCmd []string
	// GenerateCmd regenerates the generated code. Default: go generate ./...
	GenerateCmd []string
}

// Summary is the outcome of Upstream: one report of what a new upstream document changes.
type Summary struct {
	Spec, Reference string
	OurSpec         string      // our document, relative to the root
	Generate        string      // the command that regenerated the code
	Replaced        bool        // the reference copy's content changed
	Drift           []DriftLine // specverify's findings against the new document, and those it resolved
	DriftErr        string      // specverify failed without findings: its output
	Operations      []string    // upstream operations added or removed that our document does not have
	Regenerated     []string    // files that GenerateCmd changed, as git status shows them
	DirtyBefore     int         // files git status listed before regeneration (not in Regenerated unless it changed them)
	GenerateErr     string
	API             *APIReport
	APIErr          string
}

// DriftLine is one finding of the drift check (DRIFT, STALE, INVALID or SKIP, as specverify prints it).
type DriftLine struct {
	Text   string
	Status string // "new" (not found against the previous reference), "still", "resolved", or "" (no previous reference)
}

// Upstream replaces the reference copy with opts.Spec, runs the drift check against it and against the
// previous copy, lists the upstream operations added or removed that our document lacks, regenerates the
// generated code and diffs the Go API. It commits nothing and never edits our document.
func Upstream(opts UpstreamOptions) (*Summary, error) {
	opts = opts.withDefaults()
	s := &Summary{Spec: opts.Spec, Reference: opts.Reference, OurSpec: opts.OurSpec, Generate: strings.Join(opts.GenerateCmd, " ")}
	spec, err := os.ReadFile(opts.Spec)
	if err != nil {
		return nil, err
	}
	prev, err := os.ReadFile(opts.Reference)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	hadPrev := err == nil
	var before map[string]bool
	if hadPrev {
		tmp, err := os.MkdirTemp("", "apicompat-upstream-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		prevPath := filepath.Join(tmp, "previous"+filepath.Ext(opts.Reference))
		if err := os.WriteFile(prevPath, prev, 0o644); err != nil {
			return nil, err
		}
		lines, _ := opts.drift(prevPath)
		before = map[string]bool{}
		for _, l := range lines {
			before[l] = true
		}
	}

	s.Replaced = !hadPrev || !bytes.Equal(prev, spec)
	if s.Replaced {
		if err := os.MkdirAll(filepath.Dir(opts.Reference), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(opts.Reference, spec, 0o644); err != nil {
			return nil, err
		}
	}
	lines, failure := opts.drift(opts.Reference)
	s.DriftErr = failure
	for _, l := range lines {
		d := DriftLine{Text: l}
		switch {
		case !hadPrev:
		case before[l]:
			d.Status = "still"
			delete(before, l)
		default:
			d.Status = "new"
		}
		s.Drift = append(s.Drift, d)
	}
	for _, l := range slices.Sorted(maps.Keys(before)) {
		s.Drift = append(s.Drift, DriftLine{Text: l, Status: "resolved"})
	}
	if s.Operations, err = operationChanges(opts.Root, opts.OurSpec, prev, spec, hadPrev); err != nil {
		return nil, err
	}

	dirty, err := dirtyFiles(opts.Root)
	if err != nil {
		return nil, err
	}
	s.DirtyBefore = len(dirty)
	if out, err := runIn(opts.Root, opts.GenerateCmd); err != nil {
		s.GenerateErr = fmt.Sprintf("%s: %v\n%s", strings.Join(opts.GenerateCmd, " "), err, out)
	}
	if s.Regenerated, err = changedSince(opts.Root, dirty); err != nil {
		return nil, err
	}
	if s.API, err = buildReport(opts.Root, opts.Packages, opts.Base); err != nil {
		s.API, s.APIErr = nil, err.Error()
	} else if opts.Base == "HEAD" {
		s.API.Base.Why = "the committed code: what regeneration changed, and any other uncommitted change"
	}
	return s, nil
}

// withDefaults fills the unset options and makes Reference absolute.
func (o UpstreamOptions) withDefaults() UpstreamOptions {
	if o.Reference == "" {
		o.Reference = defaultUpstream
	}
	if !filepath.IsAbs(o.Reference) {
		o.Reference = filepath.Join(o.Root, o.Reference)
	}
	if o.OurSpec == "" {
		o.OurSpec = "api/openapi.yaml"
	}
	if o.Base == "" {
		o.Base = "HEAD"
	}
	if o.Packages == nil {
		o.Packages = defaultPackages
	}
	if o.DriftCmd == nil {
		o.DriftCmd = []string{"go", "run", "./internal/cmd/specverify", "-spec", "{ours}", "-upstream", "{upstream}"}
	}
	if o.GenerateCmd == nil {
		o.GenerateCmd = []string{"go", "generate", "./..."}
	}
	return o
}

// drift runs the drift check of our document against upstream and returns its findings; when it fails
// without any, it returns its output as failure instead.
func (o UpstreamOptions) drift(upstream string) (findings []string, failure string) {
	args := make([]string, len(o.DriftCmd))
	for i, a := range o.DriftCmd {
		args[i] = strings.NewReplacer("{ours}", o.OurSpec, "{upstream}", upstream).Replace(a)
	}
	out, err := runIn(o.Root, args)
	for _, l := range strings.Split(out, "\n") {
		for _, p := range []string{"DRIFT ", "MISSING ", "STALE ", "INVALID ", "SKIP "} {
			if strings.HasPrefix(l, p) {
				findings = append(findings, strings.TrimSpace(l))
			}
		}
	}
	if err != nil && len(findings) == 0 {
		failure = fmt.Sprintf("%s: %v\n%s", strings.Join(args, " "), err, strings.TrimSpace(out))
	}
	return findings, failure
}

// runIn runs args in dir and returns its combined output.
func runIn(dir string, args []string) (string, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// dirtyFiles maps each file that git status lists (modified, added, deleted or untracked) to a hash of
// its content, so that changedSince can tell what a command changed in a tree that was already dirty.
func dirtyFiles(root string) (map[string]string, error) {
	out, err := git(root, "status", "--porcelain", "-z", "--untracked-files=all")
	if err != nil {
		return nil, err
	}
	files := map[string]string{}
	fields := strings.Split(out, "\x00")
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if len(f) < 4 {
			continue
		}
		if f[0] == 'R' || f[0] == 'C' {
			i++ // the source of a rename or copy follows
		}
		files[f[3:]] = f[:2] + " " + hashFile(filepath.Join(root, f[3:]))
	}
	return files, nil
}

func hashFile(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "absent"
	}
	return fmt.Sprintf("%x", sha256.Sum256(data))
}

// changedSince lists, as git status shows them, the files whose status or content differ from before.
func changedSince(root string, before map[string]string) ([]string, error) {
	after, err := dirtyFiles(root)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range slices.Sorted(maps.Keys(after)) {
		if before[f] != after[f] {
			out = append(out, strings.TrimSpace(after[f][:2])+" "+f)
		}
	}
	for _, f := range slices.Sorted(maps.Keys(before)) {
		if _, still := after[f]; !still {
			out = append(out, "restored "+f)
		}
	}
	return out, nil
}
