// Package exportdata type-checks against the compiler's export data: Importer locates it for a set of
// packages with one `go list -export -deps` (what golang.org/x/tools/go/packages does, without the
// dependency), an order of magnitude faster than type-checking every dependency from source. aliasgen and
// doccheck use it.
package exportdata

import (
	"bytes"
	"errors"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"strings"
)

// Importer returns an importer that reads the export data of paths and their dependencies, located by one
// `go list -export -deps` run in dir. A path that does not build fails when it is imported, with go list's
// message; a path outside paths' dependencies fails too.
func Importer(fset *token.FileSet, dir string, paths []string) (types.Importer, error) {
	exports := map[string]string{}
	failures := map[string]string{}
	var stderr bytes.Buffer
	if len(paths) > 0 {
		args := append([]string{"list", "-e", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}\t{{with .Error}}{{.Err}}{{end}}", "--"}, paths...)
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go list -export: %v\n%s", err, stderr.Bytes())
		}
		for line := range strings.Lines(string(out)) {
			fields := strings.SplitN(strings.TrimRight(line, "\n"), "\t", 3)
			if len(fields) != 3 {
				continue
			}
			exports[fields[0]] = fields[1]
			if fields[2] != "" {
				failures[fields[0]] = fields[2]
			}
		}
	}
	return importer.ForCompiler(fset, "gc", func(p string) (io.ReadCloser, error) {
		if msg := failures[p]; msg != "" {
			return nil, errors.New(msg)
		}
		if f := exports[p]; f != "" {
			return os.Open(f)
		}
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("no export data for %q (go list: %s)", p, msg)
		}
		return nil, fmt.Errorf("no export data for %q", p)
	}), nil
}
