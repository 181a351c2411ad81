package graph

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Mermaid writes g as a Mermaid flowchart (flowchart LR) with the nodes
// and edges DOT draws, for a Markdown ```mermaid block: GitHub renders it.
// Node IDs are generated (h0, s5, ip6, …) since hosts' names and addresses
// hold '.' and ':'; labels are quoted with Mermaid's entity codes. Nodes
// are styled by classDef and class, links by linkStyle (Mermaid has no
// classes for links).
func Mermaid(w io.Writer, g *Graph, o Options) error {
	return write(w, g, o, writeMermaid)
}

// mermaidShape is how each kind of vertex opens its ID's prefix, its
// shape's opening and its closing.
var mermaidShape = map[vkind][3]string{
	vHost:     {"h", "[", "]"},
	vSegment:  {"s", "([", "])"},
	vLBIP:     {"ip", "{{", "}}"},
	vUnknown:  {"a", "[", "]"},
	vPod:      {"p", "(", ")"},
	vProblems: {"n", ">", "]"},
}

// mermaidLink is each kind of edge's link: open (---), arrow (-->),
// dotted (-.-, -.->) or thick (==>).
var mermaidLink = map[ekind]string{
	eLink:        "---",
	eEstablished: "---",
	eDown:        "-.-",
	eRoute:       "-->",
	eNoRoute:     "-.->",
	eECMP:        "==>",
	eStray:       "==>",
	eMissing:     "-.->",
	eStranger:    "==>",
	ePodReady:    "-->",
	ePodNotReady: "-.->",
}

// mermaidLinkStyle is each kind of edge's linkStyle.
var mermaidLinkStyle = map[ekind]string{
	eLink:        "stroke:" + colGrey + ",stroke-width:1px",
	eEstablished: "stroke:" + colGreen + ",stroke-width:2px,color:" + colGreen,
	eDown:        "stroke:" + colRed + ",stroke-width:3px,stroke-dasharray:6 4,color:" + colRed,
	eRoute:       "stroke:" + colBlue + ",stroke-width:2px",
	eNoRoute:     "stroke:" + colRed + ",stroke-width:3px,stroke-dasharray:6 4,color:" + colRed,
	eECMP:        "stroke:" + colBlue + ",stroke-width:3px,color:" + colBlue,
	eStray:       "stroke:" + colOrange + ",stroke-width:3px,color:" + colOrange,
	eMissing:     "stroke:" + colGrey + ",stroke-width:2px,stroke-dasharray:6 4,color:" + colGrey,
	eStranger:    "stroke:" + colRed + ",stroke-width:3px,color:" + colRed,
	ePodReady:    "stroke:" + colGreen + ",stroke-width:1px",
	ePodNotReady: "stroke:" + colGrey + ",stroke-width:1px,stroke-dasharray:4 4",
}

// mermaidClasses are the node classes, in the order they are written.
var mermaidClasses = [][2]string{
	{"host", "fill:#f5f5f5,stroke:#616161"},
	{"segment", "fill:#eeeeee,stroke:" + colGrey},
	{"lbip", "fill:#bbdefb,stroke:" + colBlue},
	{"down", "fill:#ffcdd2,stroke:" + colRed + ",stroke-width:2px,stroke-dasharray:6 4,color:" + colRed},
	{"podReady", "fill:#c8e6c9,stroke:" + colGreen},
	{"podNotReady", "fill:#ffffff,stroke:" + colGrey + ",stroke-dasharray:4 4,color:#616161"},
	{"problems", "fill:#fff3e0,stroke:" + colRed + ",color:" + colRed},
}

func mermaidClass(v *vertex) string {
	switch {
	case v.kind == vPod && v.bad:
		return "podNotReady"
	case v.kind == vPod:
		return "podReady"
	case v.kind == vProblems:
		return "problems"
	case v.bad:
		return "down"
	case v.kind == vSegment:
		return "segment"
	case v.kind == vLBIP:
		return "lbip"
	}
	return "host"
}

func writeMermaid(b *bytes.Buffer, s *scene) {
	ids := map[string]string{}
	classes := map[string][]string{}
	b.WriteString("flowchart LR\n")
	fmt.Fprintf(b, "  subgraph lab [\"%s\"]\n", mermaidText(s.title))
	for i, v := range s.vertices {
		sh := mermaidShape[v.kind]
		id := sh[0] + strconv.Itoa(i)
		ids[v.key] = id
		fmt.Fprintf(b, "    %s%s\"%s\"%s\n", id, sh[1], mermaidLabel(v), sh[2])
		c := mermaidClass(v)
		classes[c] = append(classes[c], id)
	}
	links := map[ekind][]string{}
	for i, e := range s.edges {
		label := ""
		if e.label != "" {
			label = "|\"" + mermaidLines(strings.Split(e.label, "\n")) + "\"|"
		}
		fmt.Fprintf(b, "    %s %s%s %s\n", ids[e.from], mermaidLink[e.kind], label, ids[e.to])
		links[e.kind] = append(links[e.kind], strconv.Itoa(i))
	}
	b.WriteString("  end\n")
	for _, c := range mermaidClasses {
		fmt.Fprintf(b, "  classDef %s %s\n", c[0], c[1])
	}
	for _, c := range mermaidClasses {
		if len(classes[c[0]]) > 0 {
			fmt.Fprintf(b, "  class %s %s\n", strings.Join(classes[c[0]], ","), c[0])
		}
	}
	for k := eLink; k <= ePodNotReady; k++ {
		if len(links[k]) > 0 {
			fmt.Fprintf(b, "  linkStyle %s %s\n", strings.Join(links[k], ","), mermaidLinkStyle[k])
		}
	}
}

// mermaidLabel is a vertex's label: a host's name in bold, then a line
// for each of the rest.
func mermaidLabel(v *vertex) string {
	lines := append([]string{}, v.lines...)
	switch v.kind {
	case vHost:
		name := "<b>" + mermaidText(v.title) + "</b>"
		if len(lines) == 0 {
			return name
		}
		return name + "<br>" + mermaidLines(lines)
	case vPod:
		if v.bad {
			lines = append(lines, "not ready")
		}
	case vProblems:
		for i, l := range lines {
			lines[i] = "- " + l
		}
		return mermaidText(v.title+":") + "<br>" + mermaidLines(lines)
	}
	return mermaidLines(append([]string{v.title}, lines...))
}

func mermaidLines(lines []string) string {
	for i, l := range lines {
		lines[i] = mermaidText(l)
	}
	return strings.Join(lines, "<br>")
}

// mermaidText escapes s for a quoted Mermaid label: quotes, and what
// Mermaid or its HTML would read as markup, as Mermaid's entity codes.
func mermaidText(s string) string {
	return mermaidEscaper.Replace(s)
}

var mermaidEscaper = strings.NewReplacer(
	"#", "#35;", `"`, "#quot;", "<", "#lt;", ">", "#gt;", "&", "#amp;",
	"|", "#124;", "`", "#96;", "\n", " ",
)
