package topology

import (
	"fmt"
	"strings"
)

// FieldError is a problem with one field of a topology file.
type FieldError struct {
	Path string // e.g. "network.ipv4Subnet" or "workloads[0].service.ports[1].port"
	Line int    // 0 when the field is not in the file (a default)
	Msg  string
}

func (e *FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Path, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// Errors is every problem found in one topology file.
type Errors struct {
	File string // empty for in-memory input
	List []error
}

func (e *Errors) Error() string {
	var b strings.Builder
	prefix := "invalid topology"
	if e.File != "" {
		prefix += " " + e.File
	}
	if len(e.List) == 1 {
		return prefix + ": " + e.List[0].Error()
	}
	fmt.Fprintf(&b, "%s: %d problems:", prefix, len(e.List))
	for _, err := range e.List {
		b.WriteString("\n  ")
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap gives errors.Is and errors.As access to each problem.
func (e *Errors) Unwrap() []error { return e.List }

// errs collects field errors and fills in their line numbers.
type errs struct {
	lines lines
	list  []error
}

func (e *errs) add(path, format string, args ...any) {
	e.list = append(e.list, &FieldError{Path: path, Line: e.line(path), Msg: fmt.Sprintf(format, args...)})
}

// line finds the line of path, or of its nearest ancestor present in the file.
func (e *errs) line(path string) int {
	for p := path; p != ""; {
		if l, ok := e.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}
