package graph_test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/graph"
	"github.com/lblab/lblab/internal/testutil/golden"
)

// mermaidChart is Mermaid output read back.
type mermaidChart struct {
	ids        []string          // vertex IDs, in order
	labels     map[string]string // by ID
	edges      []mermaidEdge
	classes    map[string]string   // class of each ID
	classDefs  []string            // defined classes
	linkStyles map[int]string      // style of each link
	usedBy     map[string][]string // IDs by class
}

type mermaidEdge struct{ from, link, label, to string }

var (
	mermaidVertexLine = regexp.MustCompile(`^    ([A-Za-z][A-Za-z0-9]*)(\[|\(\[|\{\{|\(|>)"([^"]*)"(\]|\]\)|\}\}|\))$`)
	mermaidEdgeLine   = regexp.MustCompile(`^    ([A-Za-z][A-Za-z0-9]*) (---|-\.-|-->|-\.->|==>)(?:\|"([^"]*)"\|)? ([A-Za-z][A-Za-z0-9]*)$`)
	mermaidClassDef   = regexp.MustCompile(`^  classDef ([A-Za-z]+) (\S.*)$`)
	mermaidClass      = regexp.MustCompile(`^  class ([A-Za-z0-9,]+) ([A-Za-z]+)$`)
	mermaidLinkStyle  = regexp.MustCompile(`^  linkStyle ([0-9,]+) (.+)$`)
	mermaidOther      = regexp.MustCompile(`^(  subgraph lab \["[^"]*"\]|  end)$`)
)

// parseMermaid reads what Mermaid writes; a line of any other form, an ID
// used before it is defined or defined twice, a vertex without a class or
// a link without a style fails the test.
func parseMermaid(t *testing.T, src string) mermaidChart {
	t.Helper()
	c := mermaidChart{labels: map[string]string{}, classes: map[string]string{}, linkStyles: map[int]string{}, usedBy: map[string][]string{}}
	lines := strings.Split(strings.TrimSuffix(src, "\n"), "\n")
	if lines[0] != "flowchart LR" {
		t.Fatalf("first line %q, want flowchart LR", lines[0])
	}
	for i, line := range lines[1:] {
		switch m := match(line); {
		case m[mermaidVertexLine] != nil:
			id := m[mermaidVertexLine][1]
			if _, ok := c.labels[id]; ok {
				t.Errorf("ID %s defined twice", id)
			}
			c.ids, c.labels[id] = append(c.ids, id), m[mermaidVertexLine][3]
		case m[mermaidEdgeLine] != nil:
			e := m[mermaidEdgeLine]
			for _, id := range []string{e[1], e[4]} {
				if _, ok := c.labels[id]; !ok {
					t.Errorf("line %d: %s is not defined", i+2, id)
				}
			}
			c.edges = append(c.edges, mermaidEdge{from: e[1], link: e[2], label: e[3], to: e[4]})
		case m[mermaidClassDef] != nil:
			c.classDefs = append(c.classDefs, m[mermaidClassDef][1])
		case m[mermaidClass] != nil:
			for _, id := range strings.Split(m[mermaidClass][1], ",") {
				if c.classes[id] != "" {
					t.Errorf("%s is of classes %s and %s", id, c.classes[id], m[mermaidClass][2])
				}
				c.classes[id] = m[mermaidClass][2]
				c.usedBy[m[mermaidClass][2]] = append(c.usedBy[m[mermaidClass][2]], id)
			}
		case m[mermaidLinkStyle] != nil:
			for _, n := range strings.Split(m[mermaidLinkStyle][1], ",") {
				i, _ := strconv.Atoi(n)
				if c.linkStyles[i] != "" {
					t.Errorf("link %d styled twice", i)
				}
				c.linkStyles[i] = m[mermaidLinkStyle][2]
			}
		case !mermaidOther.MatchString(line):
			t.Errorf("line %d has no Mermaid form this writer uses: %q", i+2, line)
		}
	}
	for _, id := range c.ids {
		if !slices.Contains(c.classDefs, c.classes[id]) {
			t.Errorf("%s has class %q, which is not defined", id, c.classes[id])
		}
	}
	for i := range c.edges {
		if c.linkStyles[i] == "" {
			t.Errorf("link %d has no linkStyle", i)
		}
	}
	if len(c.linkStyles) != len(c.edges) {
		t.Errorf("%d links styled, %d links", len(c.linkStyles), len(c.edges))
	}
	return c
}

func match(line string) map[*regexp.Regexp][]string {
	out := map[*regexp.Regexp][]string{}
	for _, re := range []*regexp.Regexp{mermaidVertexLine, mermaidEdgeLine, mermaidClassDef, mermaidClass, mermaidLinkStyle} {
		out[re] = re.FindStringSubmatch(line)
	}
	return out
}

func TestMermaidGolden(t *testing.T) {
	for _, l := range labs {
		t.Run(l.name, func(t *testing.T) {
			golden.Assert(t, "testdata/"+l.name+".mmd", render(t, l.g(), graph.Options{}, "mermaid"))
		})
	}
}

// TestMermaidSyntax checks every lab's chart: flowchart LR, IDs Mermaid
// can parse (no ':' or '.'), and the nodes and edges DOT draws.
func TestMermaidSyntax(t *testing.T) {
	for _, l := range labs {
		t.Run(l.name, func(t *testing.T) {
			out := string(render(t, l.g(), graph.Options{}, "mermaid"))
			if !strings.HasPrefix(out, "flowchart LR\n") {
				t.Errorf("output starts %q, want flowchart LR", out[:min(len(out), 20)])
			}
			c := parseMermaid(t, out)
			for _, id := range c.ids {
				if strings.ContainsAny(id, ":.") {
					t.Errorf("ID %q holds ':' or '.'", id)
				}
			}
			_, d := dotOf(t, l.g(), graph.Options{})
			if len(c.ids) != len(d.order) || len(c.edges) != len(d.edges) {
				t.Errorf("Mermaid has %d nodes and %d edges, DOT %d and %d", len(c.ids), len(c.edges), len(d.order), len(d.edges))
			}
		})
	}
}

// TestMermaidStyles checks that the broken lab's failed session is a
// dotted red link that says its state, the Established ones green, and
// the problem note's quotes escaped.
func TestMermaidStyles(t *testing.T) {
	c := parseMermaid(t, string(render(t, brokenLab(), graph.Options{}, "mermaid")))
	tests := []struct {
		label, link, stroke string
	}{
		{"IPv4 Established", "---", "stroke:#2e7d32"},
		{"IPv4 Active<br>BFD Down", "-.-", "stroke:#c62828"},
		{"IPv4 missing", "-.-", "stroke:#c62828"},
		{"no local endpoint", "==>", "stroke:#e65100"},
		{"missing from route", "-.->", "stroke:#9e9e9e"},
	}
	for _, tt := range tests {
		i := slices.IndexFunc(c.edges, func(e mermaidEdge) bool { return e.label == tt.label })
		if i < 0 {
			t.Errorf("no link labelled %q", tt.label)
			continue
		}
		if e := c.edges[i]; e.link != tt.link || !strings.HasPrefix(c.linkStyles[i], tt.stroke+",") {
			t.Errorf("link %q is %s styled %q, want %s with %s", tt.label, e.link, c.linkStyles[i], tt.link, tt.stroke)
		}
	}
	wants := map[string][2]string{ // class and label of a vertex
		"problems": {"problems", "problems:<br>- failed to read node4: Get #quot;https://10.88.0.2:6443/api/v1/nodes/node4#quot;: context deadline exceeded"},
		"notReady": {"podNotReady", "web-local-7f6c9d-xv8kd<br>10.244.2.4<br>not ready"},
		"nextHop":  {"down", "unknown next hop<br>10.88.0.99"},
		"tor":      {"host", "<b>tor</b><br>tor · AS 64496<br>10.88.0.1<br>192.0.2.1"},
	}
	for name, w := range wants {
		if !slices.ContainsFunc(c.usedBy[w[0]], func(id string) bool { return c.labels[id] == w[1] }) {
			t.Errorf("%s: no %s node labelled %q", name, w[0], w[1])
		}
	}
}
