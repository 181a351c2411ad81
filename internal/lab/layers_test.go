package lab_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/lblab/lblab"

// importGraph maps each package of the module to the module packages its
// non-test files import, by a plain scan of the import blocks (build tags
// are ignored, so an import behind any tag counts).
func importGraph(t *testing.T, root string) map[string][]string {
	t.Helper()
	graph := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "tools") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := module
		if rel != "." {
			pkg += "/" + filepath.ToSlash(rel)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, module+"/") && !slices.Contains(graph[pkg], p) {
				graph[pkg] = append(graph[pkg], p)
			}
		}
		if _, ok := graph[pkg]; !ok {
			graph[pkg] = nil
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return graph
}

// deps returns every module package pkg reaches through imports.
func deps(graph map[string][]string, pkg string) map[string]bool {
	seen := map[string]bool{}
	var visit func(string)
	visit = func(p string) {
		for _, d := range graph[p] {
			if !seen[d] {
				seen[d] = true
				visit(d)
			}
		}
	}
	visit(pkg)
	return seen
}

// TestLayers: imports run one way. cli → backends → lab and cli →
// scenarios → observe → lab: no backend reaches the checks, the checks
// reach no backend, and lab and the readers (observe) reach neither. (External test packages may drive a
// real backend; only non-test files count.)
func TestLayers(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no module root at %s: %v", root, err)
	}
	graph := importGraph(t, root)
	isBackend := func(p string) bool { return strings.HasPrefix(p, module+"/internal/backend/") }
	isScenarios := func(p string) bool { return p == module+"/scenarios" || strings.HasPrefix(p, module+"/scenarios/") }
	var backends []string
	for p := range graph {
		if isBackend(p) {
			backends = append(backends, p)
		}
	}
	if len(backends) < 2 || graph[module+"/scenarios"] == nil {
		t.Fatalf("the scan found backends %v and scenarios imports %v: wrong root?", backends, graph[module+"/scenarios"])
	}
	for _, b := range backends {
		for d := range deps(graph, b) {
			if isScenarios(d) {
				t.Errorf("%s reaches %s: a backend must not depend on the checks (put what they share in internal/lab)", b, d)
			}
		}
	}
	for _, top := range []string{module + "/scenarios", module + "/internal/lab", module + "/internal/observe"} {
		for d := range deps(graph, top) {
			if isBackend(d) || (top != module+"/scenarios" && isScenarios(d)) {
				t.Errorf("%s reaches %s", top, d)
			}
		}
	}
}

// TestLayersSeesAViolation: the scan finds an import that breaks the rule.
func TestLayersSeesAViolation(t *testing.T) {
	graph := map[string][]string{
		module + "/internal/backend/x": {module + "/internal/y"},
		module + "/internal/y":         {module + "/scenarios"},
	}
	if !deps(graph, module+"/internal/backend/x")[module+"/scenarios"] {
		t.Error("a backend reaching scenarios through another package was not found")
	}
}
