package topology

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
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

// withoutFollowOns drops validation errors that only restate a decoding
// problem: errors on a field that failed to decode or inside it, and on a
// field the file does not set in the same list element (a default, such
// as a targetPort taken from a port that failed).
func (d *decoder) withoutFollowOns(list []error) []error {
	var out []error
	for _, err := range list {
		var fe *FieldError
		if errors.As(err, &fe) && slices.ContainsFunc(d.bad, func(b string) bool { return d.follows(fe.Path, b) }) {
			continue
		}
		out = append(out, err)
	}
	return out
}

// follows reports whether a validation error at path follows from the
// decoding problem at bad.
func (d *decoder) follows(path, bad string) bool {
	if within(path, bad) {
		return true
	}
	_, inFile := d.lines[path]
	i := strings.LastIndexAny(bad, ".[")
	return !inFile && i > 0 && strings.HasSuffix(bad[:i], "]") && within(path, bad[:i])
}

// within reports whether path is base or a field or element inside it.
func within(path, base string) bool {
	rest, ok := strings.CutPrefix(path, base)
	return ok && (rest == "" || rest[0] == '.' || rest[0] == '[')
}

// byLine orders problems as they appear in the file: errors that are not
// about one field first, then field errors by line, those of defaulted
// fields (no line) last.
func byLine(list []error) []error {
	rank := func(err error) int {
		var fe *FieldError
		switch {
		case !errors.As(err, &fe):
			return -1
		case fe.Line == 0:
			return int(^uint(0) >> 1)
		}
		return fe.Line
	}
	slices.SortStableFunc(list, func(a, b error) int { return cmp.Compare(rank(a), rank(b)) })
	return list
}
