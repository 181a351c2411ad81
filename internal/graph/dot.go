package graph

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"strings"
)

// DOT writes g as a Graphviz digraph laid out left to right: client, TOR,
// LB IPs and the segment, nodes, pods. BGP sessions are drawn between the
// TOR and the speakers without moving them (constraint=false): green and
// solid when Established, red, dashed and bold with the state written when
// not. Every ID is quoted (IPv6 addresses hold ':', DOT's port separator).
func DOT(w io.Writer, g *Graph, o Options) error {
	return write(w, g, o, writeDOT)
}

// Colours shared by the DOT and Mermaid writers.
const (
	colGrey   = "#9e9e9e"
	colGreen  = "#2e7d32"
	colRed    = "#c62828"
	colBlue   = "#1565c0"
	colOrange = "#e65100"
)

// dotEdgeAttrs are the attributes of each kind of edge; its label comes
// after them.
var dotEdgeAttrs = map[ekind]string{
	eLink:        `dir=none, color="` + colGrey + `", penwidth=1`,
	eEstablished: `dir=none, constraint=false, color="` + colGreen + `", fontcolor="` + colGreen + `", style=solid, penwidth=1.5`,
	eDown:        `dir=none, constraint=false, color="` + colRed + `", fontcolor="` + colRed + `", style="dashed,bold", penwidth=2`,
	eRoute:       `color="` + colBlue + `", penwidth=1.5`,
	eNoRoute:     `color="` + colRed + `", fontcolor="` + colRed + `", style="dashed,bold", penwidth=2`,
	eECMP:        `color="` + colBlue + `", fontcolor="` + colBlue + `", style=bold, penwidth=2.5`,
	eStray:       `color="` + colOrange + `", fontcolor="` + colOrange + `", style=bold, penwidth=2.5`,
	eMissing:     `color="` + colGrey + `", fontcolor="` + colGrey + `", style=dashed, penwidth=1.5`,
	eStranger:    `color="` + colRed + `", fontcolor="` + colRed + `", style=bold, penwidth=2.5`,
	ePodReady:    `color="` + colGreen + `", penwidth=1`,
	ePodNotReady: `color="` + colGrey + `", style=dashed, penwidth=1`,
}

func writeDOT(b *bytes.Buffer, s *scene) {
	fmt.Fprintf(b, "digraph %s {\n", dotQuote(s.title))
	fmt.Fprintf(b, "\tgraph [rankdir=LR, label=%s, labelloc=t, fontname=\"Helvetica\", fontsize=14, nodesep=0.25, ranksep=0.9];\n", dotQuote(s.title))
	b.WriteString("\tnode [fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("\tedge [fontname=\"Helvetica\", fontsize=9];\n\n")
	for _, v := range s.vertices {
		fmt.Fprintf(b, "\t%s [%s];\n", dotQuote(v.key), dotVertexAttrs(v))
	}
	b.WriteString("\n")
	for _, e := range s.edges {
		attrs := dotEdgeAttrs[e.kind]
		if e.label != "" {
			attrs += ", label=" + dotQuote(e.label)
		}
		fmt.Fprintf(b, "\t%s -> %s [%s];\n", dotQuote(e.from), dotQuote(e.to), attrs)
	}
	b.WriteString("}\n")
}

// dotVertexAttrs are a vertex's shape, style and label.
func dotVertexAttrs(v *vertex) string {
	label := dotQuote(strings.Join(append([]string{v.title}, v.lines...), "\n"))
	switch v.kind {
	case vHost:
		style := `shape=box, style="rounded,filled", fillcolor="#f5f5f5"`
		if v.bad {
			style = `shape=box, style="rounded,dashed", color="` + colRed + `"`
		}
		return style + ", label=" + dotHostLabel(v)
	case vSegment:
		return `shape=box, style="filled", fillcolor="#eeeeee", color="` + colGrey + `", height=0.3, label=` + label
	case vLBIP:
		return `shape=hexagon, style=filled, fillcolor="#bbdefb", color="` + colBlue + `", label=` + label
	case vUnknown:
		return `shape=box, style=filled, fillcolor="#ffcdd2", color="` + colRed + `", fontcolor="` + colRed + `", label=` + label
	case vPod:
		if v.bad {
			return `shape=box, style="rounded,dashed", color="` + colGrey + `", fontcolor="#616161", fontsize=9, label=` +
				dotQuote(strings.Join(append(append([]string{v.title}, v.lines...), "not ready"), "\n"))
		}
		return `shape=box, style="rounded,filled", fillcolor="#c8e6c9", color="` + colGreen + `", fontsize=9, label=` + label
	case vProblems:
		lines := []string{v.title + ":"}
		for _, p := range v.lines {
			lines = append(lines, "- "+p)
		}
		// \l ends a left-justified line.
		return `shape=note, style=filled, fillcolor="#fff3e0", color="` + colRed + `", fontcolor="` + colRed + `", label=` +
			dotQuoteLines(lines, `\l`)
	}
	return "label=" + label
}

// dotHostLabel is an HTML-like label: the name in bold, a line for each of
// the rest.
func dotHostLabel(v *vertex) string {
	var b strings.Builder
	b.WriteString("<<b>" + html.EscapeString(v.title) + "</b>")
	for _, l := range v.lines {
		b.WriteString("<br/>" + html.EscapeString(l))
	}
	b.WriteString(">")
	return b.String()
}

// dotQuote quotes s as a DOT string: a backslash and a quote are escaped,
// and a newline is DOT's centred line break.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", "")
	return `"` + r.Replace(s) + `"`
}

// dotQuoteLines quotes lines as one DOT string, each ended by brk (\l:
// left-justified).
func dotQuoteLines(lines []string, brk string) string {
	var b strings.Builder
	b.WriteString(`"`)
	for _, l := range lines {
		q := dotQuote(strings.ReplaceAll(l, "\n", " "))
		b.WriteString(q[1:len(q)-1] + brk)
	}
	b.WriteString(`"`)
	return b.String()
}
