package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Differs reports whether the new upstream document needs a maintainer: a drift finding, an upstream
// operation added or removed, a regenerated file, a Go API change not yet recorded or not yet named in
// CHANGELOG.md, or a step that failed.
func (s *Summary) Differs() bool {
	for _, d := range s.Drift {
		if d.Status != "resolved" && !strings.HasPrefix(d.Text, "SKIP") {
			return true
		}
	}
	return s.DriftErr != "" || len(s.Operations) > 0 || len(s.Regenerated) > 0 || s.GenerateErr != "" ||
		s.APIErr != "" || s.API != nil && !s.API.OK()
}

// Text renders the summary: a section per step, one line per difference.
func (s *Summary) Text() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	state := "unchanged: it already was this document"
	if s.Replaced {
		state = "replaced"
	}
	p("update-upstream: %s → %s (%s). Nothing is committed.", s.Spec, s.Reference, state)
	p("")
	p("Upstream differences: the drift check compares %s with the new document. It does not change", s.OurSpec)
	p("%s: adopt a difference by editing it (then run this again), or list it under x-upstream-drift", s.OurSpec)
	p("with why. new: not found against the previous reference copy; resolved: found only against it.")
	n := 0
	for _, d := range s.Drift {
		status := d.Status
		if status == "" {
			status = "-"
		}
		p("  %-8s %s", status, d.Text)
		n++
	}
	for _, o := range s.Operations {
		p("  %-8s %s", "new", o)
		n++
	}
	if s.DriftErr != "" {
		p("  FAIL     the drift check failed:\n%s", indent(s.DriftErr))
	} else if n == 0 {
		p("  none")
	}
	p("")
	p("Regenerated (%s, from %s):", s.Generate, s.OurSpec)
	for _, f := range s.Regenerated {
		p("  %s", f)
	}
	if s.GenerateErr != "" {
		p("  FAIL     generation failed:\n%s", indent(s.GenerateErr))
	} else if len(s.Regenerated) == 0 {
		p("  no file changed")
	}
	if s.DirtyBefore > 0 {
		p("  (%d file(s) had uncommitted changes before this run; listed only if regeneration changed them)", s.DirtyBefore)
	}
	p("")
	switch {
	case s.APIErr != "":
		p("Go API:\n  FAIL     %s", s.APIErr)
	default:
		p("Go API (api/go/*.txt against the working tree; changes classified against %s):", s.API.Base)
		lines := 0
		for _, d := range s.API.Stale() {
			for _, l := range d.Removed {
				p("  - %s", l)
			}
			for _, l := range d.Added {
				p("  + %s", l)
			}
			lines += len(d.Removed) + len(d.Added)
		}
		for _, f := range s.API.Findings {
			p("  %s", f)
		}
		if lines == 0 && len(s.API.Findings) == 0 {
			p("  no change")
		} else if lines > 0 {
			p("  (record with make api-snapshot)")
		}
		breaking, unnamed := len(s.API.Breaking()), len(s.API.Unexcused())
		if breaking == 0 {
			p("Breaking: no")
		} else {
			p("Breaking: yes, %d incompatible change(s), %d not named under ### Breaking in CHANGELOG.md", breaking, unnamed)
		}
	}
	p("")
	if s.Differs() {
		p("Result: the new upstream document needs attention (see above).")
	} else {
		p("Result: nothing differs.")
	}
	return b.String()
}

// Markdown is Text for a GitHub job summary.
func (s *Summary) Markdown() string {
	return "## Upstream OpenAPI document\n\n```text\n" + s.Text() + "```\n"
}

func indent(s string) string {
	return "           " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n           ")
}

// operationChanges lists the operations that the new upstream document adds to or removes from the previous
// one and that our document does not have (the drift check reports those it has). Without a previous copy,
// it says how many upstream operations our document lacks.
func operationChanges(root, ourSpec string, prev, next []byte, hadPrev bool) ([]string, error) {
	ourPath := filepath.Join(root, ourSpec)
	ourData, err := os.ReadFile(ourPath)
	if err != nil {
		return nil, err
	}
	ours, err := operations(ourData)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ourSpec, err)
	}
	up, err := operations(next)
	if err != nil {
		return nil, fmt.Errorf("the new upstream document: %w", err)
	}
	if !hadPrev {
		return nil, nil
	}
	old, err := operations(prev)
	if err != nil {
		return nil, fmt.Errorf("the previous reference copy: %w", err)
	}
	var out []string
	for _, id := range slices.Sorted(maps.Keys(up)) {
		if _, inOld := old[id]; !inOld && !has(ours, id) {
			out = append(out, fmt.Sprintf("OPERATION %s (%s): added upstream; not in %s", id, up[id], ourSpec))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(old)) {
		if _, inNew := up[id]; !inNew && !has(ours, id) {
			out = append(out, fmt.Sprintf("OPERATION %s (%s): removed upstream", id, old[id]))
		}
	}
	return out, nil
}

// operations maps each operation of an OpenAPI document (YAML or JSON) to "METHOD path", by operationId
// (or by "METHOD path" when it has none).
func operations(data []byte) (map[string]string, error) {
	var doc struct {
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for path, item := range doc.Paths {
		for method, node := range item {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
			default:
				continue
			}
			var op struct {
				ID string `yaml:"operationId"`
			}
			if err := node.Decode(&op); err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
			where := strings.ToUpper(method) + " " + path
			if op.ID == "" {
				op.ID = where
			}
			out[op.ID] = where
		}
	}
	return out, nil
}

func has(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}
