package doccheck

import (
	"fmt"
	"regexp"
	"strings"
)

// Block is one ```go fenced code block of a Markdown file.
type Block struct {
	File string // the Markdown file, as given
	Line int    // the line of the opening fence (1-based); the code starts on the next line
	Code string // the block's lines, without the fence's indentation
	Skip string // the reason of a <!-- doccheck: skip REASON --> marker before the fence; "" when checked
}

var (
	openFence  = regexp.MustCompile("^([ \t]*)(`{3,}|~{3,})[ \t]*([^ \t`]*)")
	markerLine = regexp.MustCompile(`^[ \t]*<!--[ \t]*doccheck:(.*?)-->[ \t]*$`)
)

// Extract returns the ```go (or ```golang) fenced blocks of the Markdown document src, read from file. A
// block is skipped, with its reason, when the last non-blank line before its fence is
//
//	<!-- doccheck: skip REASON -->
//
// A marker without a reason, an unknown directive, a marker not followed by a go block and an unclosed
// fence are errors. Fences follow CommonMark: ``` or ~~~ (three or more), closed by a fence of the same
// character at least as long; blocks of other languages are passed over, including the go fences inside
// them.
func Extract(file string, src []byte) ([]Block, error) {
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	var blocks []Block
	var pending string // the skip reason of a marker waiting for its block
	pendingLine := 0
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if m := markerLine.FindStringSubmatch(line); m != nil {
			directive := strings.TrimSpace(m[1])
			reason, ok := strings.CutPrefix(directive, "skip")
			reason = strings.TrimSpace(reason)
			switch {
			case !ok || (reason != "" && !strings.HasPrefix(directive, "skip ")):
				return nil, fmt.Errorf("%s:%d: unknown doccheck directive %q (the only one is \"skip REASON\")", file, i+1, directive)
			case reason == "":
				return nil, fmt.Errorf("%s:%d: a doccheck skip marker needs a reason: <!-- doccheck: skip REASON -->", file, i+1)
			}
			if pendingLine != 0 {
				return nil, fmt.Errorf("%s:%d: doccheck marker not followed by a ```go block", file, pendingLine)
			}
			pending, pendingLine = reason, i+1
			continue
		}
		m := openFence.FindStringSubmatch(line)
		if m == nil {
			if strings.TrimSpace(line) != "" && pendingLine != 0 {
				return nil, fmt.Errorf("%s:%d: doccheck marker not followed by a ```go block", file, pendingLine)
			}
			continue
		}
		indent, fence, lang := len(m[1]), m[2], strings.ToLower(m[3])
		start := i
		var code []string
		closed := false
		for i++; i < len(lines); i++ {
			if isClose(lines[i], fence) {
				closed = true
				break
			}
			code = append(code, dedent(lines[i], indent))
		}
		if !closed {
			return nil, fmt.Errorf("%s:%d: unclosed code fence", file, start+1)
		}
		isGo := lang == "go" || lang == "golang"
		if pendingLine != 0 && !isGo {
			return nil, fmt.Errorf("%s:%d: doccheck marker not followed by a ```go block", file, pendingLine)
		}
		if isGo {
			blocks = append(blocks, Block{File: file, Line: start + 1, Code: strings.Join(code, "\n") + "\n", Skip: pending})
		}
		pending, pendingLine = "", 0
	}
	if pendingLine != 0 {
		return nil, fmt.Errorf("%s:%d: doccheck marker not followed by a ```go block", file, pendingLine)
	}
	return blocks, nil
}

// isClose reports whether line closes a block opened with fence.
func isClose(line, fence string) bool {
	t := strings.TrimLeft(line, " \t")
	n := 0
	for n < len(t) && t[n] == fence[0] {
		n++
	}
	return n >= len(fence) && strings.TrimSpace(t[n:]) == ""
}

// dedent removes up to n leading spaces or tabs (the fence's indentation) from line.
func dedent(line string, n int) string {
	i := 0
	for i < n && i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return line[i:]
}
