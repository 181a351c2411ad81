package uml

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strings"
)

// Modules is the dependency graph of a kernel's modules, read from
// modules.dep: module file (relative to the modules directory) → the files
// it needs, in the order depmod wrote them.
type Modules struct {
	deps   map[string][]string
	byName map[string]string // "ip_vs" → "kernel/net/netfilter/ipvs/ip_vs.ko"
}

// ParseModulesDep reads a modules.dep file.
func ParseModulesDep(r io.Reader) (*Modules, error) {
	m := &Modules{deps: map[string][]string{}, byName: map[string]string{}}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		file, deps, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		file = strings.TrimSpace(file)
		m.deps[file] = strings.Fields(deps)
		m.byName[ModuleName(file)] = file
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("failed to read modules.dep: %w", err)
	}
	if len(m.deps) == 0 {
		return nil, fmt.Errorf("modules.dep lists no module")
	}
	return m, nil
}

// ModuleName is a module's name from its file: dashes become
// underscores, as the kernel names modules.
func ModuleName(file string) string {
	base := path.Base(file)
	for _, ext := range []string{".ko", ".ko.xz", ".ko.gz", ".ko.zst"} {
		if strings.HasSuffix(base, ext) {
			base = strings.TrimSuffix(base, ext)
			break
		}
	}
	return strings.ReplaceAll(base, "-", "_")
}

// LoadOrder returns the files to load for the named modules, every
// dependency before the modules that need it, each file once. A name
// modules.dep does not know is an error naming it.
func (m *Modules) LoadOrder(names []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	var visit func(file string)
	visit = func(file string) {
		if seen[file] {
			return
		}
		seen[file] = true
		// modules.dep lists every transitive dependency, the deepest
		// last; visiting them in reverse loads the deepest first.
		deps := m.deps[file]
		for i := len(deps) - 1; i >= 0; i-- {
			visit(deps[i])
		}
		out = append(out, file)
	}
	var unknown []string
	for _, n := range names {
		file, ok := m.byName[strings.ReplaceAll(n, "-", "_")]
		if !ok {
			unknown = append(unknown, n)
			continue
		}
		visit(file)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("the guest kernel has no module %s", strings.Join(unknown, ", "))
	}
	return out, nil
}
