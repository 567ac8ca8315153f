package doccheck

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

// exportImporter returns an importer that reads the compiler's export data of paths and their dependencies,
// located by one `go list -export -deps` run in dir (what golang.org/x/tools/go/packages does, without the
// dependency). A path that does not build fails when it is imported, with go list's message.
func exportImporter(fset *token.FileSet, dir string, paths []string) (types.Importer, error) {
	exports := map[string]string{}
	failures := map[string]string{}
	args := append([]string{"list", "-e", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}\t{{with .Error}}{{.Err}}{{end}}", "--"}, paths...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
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
	return importer.ForCompiler(fset, "gc", func(p string) (io.ReadCloser, error) {
		if msg := failures[p]; msg != "" {
			return nil, errors.New(msg)
		}
		if f := exports[p]; f != "" {
			return os.Open(f)
		}
		return nil, fmt.Errorf("no export data for %q (go list: %s)", p, strings.TrimSpace(stderr.String()))
	}), nil
}
