package graph_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/graph"
	"github.com/lblab/lblab/internal/testutil/golden"
)

// dotGraph is DOT output read back: its vertices' and edges' attributes.
type dotGraph struct {
	vertices map[string]map[string]string
	order    []string
	edges    []dotEdge
}

type dotEdge struct {
	from, to string
	attrs    map[string]string
}

const dotID = `"(?:[^"\\]|\\.)*"`

var (
	dotVertexLine = regexp.MustCompile(`^\t(` + dotID + `) \[(.*)\];$`)
	dotEdgeLine   = regexp.MustCompile(`^\t(` + dotID + `) -> (` + dotID + `) \[(.*)\];$`)
	dotOtherLine  = regexp.MustCompile(`^(digraph ` + dotID + ` \{|\t(graph|node|edge) \[.*\];|\}|)$`)
)

// parseDOT reads what DOT writes; a line that is no quoted vertex, edge or
// default fails the test.
func parseDOT(t *testing.T, src string) dotGraph {
	t.Helper()
	g := dotGraph{vertices: map[string]map[string]string{}}
	for i, line := range strings.Split(strings.TrimSuffix(src, "\n"), "\n") {
		if m := dotEdgeLine.FindStringSubmatch(line); m != nil {
			g.edges = append(g.edges, dotEdge{from: unquote(m[1]), to: unquote(m[2]), attrs: parseAttrs(t, m[3])})
		} else if m := dotVertexLine.FindStringSubmatch(line); m != nil {
			id := unquote(m[1])
			if g.vertices[id] != nil {
				t.Errorf("vertex %q defined twice", id)
			}
			g.vertices[id] = parseAttrs(t, m[2])
			g.order = append(g.order, id)
		} else if !dotOtherLine.MatchString(line) {
			t.Errorf("line %d is not a quoted vertex, edge or default: %q", i+1, line)
		}
	}
	for _, e := range g.edges {
		for _, id := range []string{e.from, e.to} {
			if g.vertices[id] == nil {
				t.Errorf("edge %s -> %s: %q is not defined", e.from, e.to, id)
			}
		}
	}
	return g
}

// parseAttrs reads `k=v, k="v", k=<html>`.
func parseAttrs(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for s != "" {
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			t.Fatalf("attribute without a value: %q", s)
		}
		var v string
		switch {
		case strings.HasPrefix(rest, `"`):
			m := regexp.MustCompile(`^` + dotID).FindString(rest)
			v, rest = unquote(m), rest[len(m):]
		case strings.HasPrefix(rest, "<"):
			depth, i := 0, 0
			for ; i < len(rest); i++ {
				if rest[i] == '<' {
					depth++
				} else if rest[i] == '>' {
					if depth--; depth == 0 {
						break
					}
				}
			}
			v, rest = rest[:i+1], rest[i+1:]
		default:
			v, rest, _ = strings.Cut(rest, ",")
			rest = "," + rest
		}
		out[k] = v
		s = strings.TrimPrefix(strings.TrimPrefix(rest, ","), " ")
	}
	return out
}

// unquote reads a DOT string, its line breaks (\n, \l) as newlines.
func unquote(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\"`, `"`, `\n`, "\n", `\l`, "\n").Replace(s[1 : len(s)-1])
}

// edge returns the only edge from from to to.
func (g dotGraph) edge(t *testing.T, from, to string) map[string]string {
	t.Helper()
	var found []map[string]string
	for _, e := range g.edges {
		if e.from == from && e.to == to {
			found = append(found, e.attrs)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d edges %s -> %s, want 1", len(found), from, to)
	}
	return found[0]
}

func dotOf(t *testing.T, g *graph.Graph, o graph.Options) (string, dotGraph) {
	t.Helper()
	out := string(render(t, g, o, "dot"))
	return out, parseDOT(t, out)
}

func TestDOTGolden(t *testing.T) {
	for _, l := range labs {
		t.Run(l.name, func(t *testing.T) {
			out, _ := dotOf(t, l.g(), graph.Options{})
			golden.Assert(t, "testdata/"+l.name+".dot", []byte(out))
		})
	}
}

// TestDOTSessions checks that a session that is not up is a red, dashed,
// bold edge that says its state, and that an Established one looks
// otherwise.
func TestDOTSessions(t *testing.T) {
	lab := brokenLab()
	lab.Sessions = append(lab.Sessions, graph.Session{Peer: addr("10.88.0.77"), Family: "IPv4", State: "Connect", Problem: "unexpected"})
	_, g := dotOf(t, lab, graph.Options{})
	tests := []struct {
		to, label string
		up        bool
	}{
		{"host/node1", "IPv4 Established", true},
		{"host/node2", "IPv4 Established", true},
		{"host/node3", "IPv4 Active\nBFD Down", false},
		{"host/control-plane", "IPv4 missing", false},
		{"addr/10.88.0.99", "IPv4 Established (unexpected)", false},
		{"addr/10.88.0.77", "IPv4 Connect (unexpected)", false},
	}
	var up, down map[string]string
	for _, tt := range tests {
		a := g.edge(t, "host/tor", tt.to)
		if a["label"] != tt.label {
			t.Errorf("tor -> %s: label %q, want %q", tt.to, a["label"], tt.label)
		}
		if a["constraint"] != "false" {
			t.Errorf("tor -> %s: constraint=%q, want false (sessions must not move the layout)", tt.to, a["constraint"])
		}
		style := strings.Split(a["style"], ",")
		if tt.up {
			up = a
			if a["color"] != "#2e7d32" || strings.Contains(a["style"], "dashed") {
				t.Errorf("Established tor -> %s: color %q style %q, want solid green", tt.to, a["color"], a["style"])
			}
		} else {
			down = a
			if a["color"] != "#c62828" || !slices.Contains(style, "dashed") || !slices.Contains(style, "bold") {
				t.Errorf("failed tor -> %s: color %q style %q, want red, dashed and bold", tt.to, a["color"], a["style"])
			}
		}
	}
	if up["color"] == down["color"] || up["style"] == down["style"] {
		t.Errorf("an Established session (%v) is drawn like a failed one (%v)", up, down)
	}
	// A peer that is no node's is one vertex with the next hop it is.
	for id, want := range map[string]string{
		"addr/10.88.0.77": "10.88.0.77\nno node has this address",
		"addr/10.88.0.99": "unknown next hop\n10.88.0.99",
	} {
		if l := g.vertices[id]["label"]; l != want {
			t.Errorf("%s is labelled %q, want %q", id, l, want)
		}
	}
}

// TestDOTFanOut checks the broken lab's ECMP fan-out edges, the not-ready
// pod and the problems note.
func TestDOTFanOut(t *testing.T) {
	_, g := dotOf(t, brokenLab(), graph.Options{})
	const web, local = "lbip/198.51.100.10", "lbip/198.51.100.20"
	tests := []struct {
		from, to, label, color, style string
	}{
		{"host/tor", web, "", "#1565c0", ""},
		{web, "host/node1", "ECMP 1/3", "#1565c0", "bold"},
		{web, "host/node2", "ECMP 1/3", "#1565c0", "bold"},
		{web, "addr/10.88.0.99", "ECMP 1/3", "#c62828", "bold"},
		{web, "host/node3", "missing from route", "#9e9e9e", "dashed"},
		{local, "host/node1", "ECMP 1/2", "#1565c0", "bold"},
		{local, "host/node2", "no local endpoint", "#e65100", "bold"},
		{local, "host/node3", "missing from route", "#9e9e9e", "dashed"},
		{"host/node1", "pod/web-local-7f6c9d-bq2zt", "", "#2e7d32", ""},
		{"host/node2", "pod/web-local-7f6c9d-xv8kd", "", "#9e9e9e", "dashed"},
	}
	for _, tt := range tests {
		a := g.edge(t, tt.from, tt.to)
		if a["label"] != tt.label || a["color"] != tt.color || a["style"] != tt.style {
			t.Errorf("%s -> %s: label %q color %q style %q, want %q %q %q",
				tt.from, tt.to, a["label"], a["color"], a["style"], tt.label, tt.color, tt.style)
		}
	}
	vertices := []struct{ id, attr, want string }{
		{local, "label", "198.51.100.20\ndefault/web-local\neTP Local"},
		{"pod/web-local-7f6c9d-xv8kd", "label", "web-local-7f6c9d-xv8kd\n10.244.2.4\nnot ready"},
		{"problems", "shape", "note"},
		{"problems", "label", "problems:\n- failed to read node4: Get \"https://10.88.0.2:6443/api/v1/nodes/node4\": context deadline exceeded\n"},
		{"host/tor", "label", "<<b>tor</b><br/>tor · AS 64496<br/>10.88.0.1<br/>192.0.2.1>"},
		{"host/node2", "label", "<<b>node2</b><br/>worker · AS 64500<br/>10.88.0.4<br/>nftables · host kernel>"},
	}
	for _, v := range vertices {
		if got := g.vertices[v.id][v.attr]; got != v.want {
			t.Errorf("%s %s = %q, want %q", v.id, v.attr, got, v.want)
		}
	}
}

// TestDOTPodsOnce checks that a pod behind an IPv4 and an IPv6 LB IP is
// one vertex with both addresses and one edge from its node.
func TestDOTPodsOnce(t *testing.T) {
	_, g := dotOf(t, dualLab(), graph.Options{})
	const pod = "pod/web-5d8f7b9c6-9kq7p"
	if l := g.vertices[pod]["label"]; l != "web-5d8f7b9c6-9kq7p\n10.244.2.2\nfd00:10:244:2::2" {
		t.Errorf("%s label %q, want its name and both addresses", pod, l)
	}
	g.edge(t, "host/node2", pod)
	if l := g.vertices["host/node2"]["label"]; !strings.Contains(l, "fd00:88::4") || !strings.Contains(l, "ipvs · uml kernel") {
		t.Errorf("node2 label %q lacks its IPv6 address or kernel", l)
	}
	for _, ip := range []string{"lbip/198.51.100.10", "lbip/2001:db8:100::10"} {
		for _, n := range []string{"node1", "node2", "node3"} {
			if l := g.edge(t, ip, "host/"+n)["label"]; l != "ECMP 1/3" {
				t.Errorf("%s -> %s label %q, want ECMP 1/3", ip, n, l)
			}
		}
	}
}

// TestServiceFilter checks that Options.Service keeps that Service's LB
// IPs and pods and every host and session, in DOT and in Mermaid.
func TestServiceFilter(t *testing.T) {
	tests := []struct {
		service    string
		want, none []string // LB IPs and pods
	}{
		{"", []string{"198.51.100.10", "198.51.100.20", "web-6b9f8d7c5-h2k4x", "web-local-7f6c9d-xv8kd"}, nil},
		{"default/web-local", []string{"198.51.100.20", "web-local-7f6c9d-xv8kd"}, []string{"198.51.100.10", "web-6b9f8d7c5-h2k4x"}},
		{"default/web", []string{"198.51.100.10", "web-6b9f8d7c5-h2k4x", "10.88.0.99"}, []string{"198.51.100.20", "web-local-7f6c9d-xv8kd"}},
		{"kube-system/absent", nil, []string{"198.51.100.10", "198.51.100.20", "web-6b9f8d7c5-h2k4x", "web-local-7f6c9d-xv8kd"}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			o := graph.Options{Service: tt.service}
			dot, g := dotOf(t, brokenLab(), o)
			mermaid := string(render(t, brokenLab(), o, "mermaid"))
			for _, out := range []string{dot, mermaid} {
				for _, w := range tt.want {
					if !strings.Contains(out, w) {
						t.Errorf("no %s in\n%s", w, out)
					}
				}
				for _, w := range tt.none {
					if strings.Contains(out, w) {
						t.Errorf("%s drawn in\n%s", w, out)
					}
				}
			}
			sessions := 0
			for _, e := range g.edges {
				if e.attrs["constraint"] == "false" {
					sessions++
				}
			}
			if sessions != 5 {
				t.Errorf("%d sessions drawn, want 5", sessions)
			}
			for _, h := range brokenLab().Hosts {
				if g.vertices["host/"+h.Name] == nil {
					t.Errorf("host %s not drawn", h.Name)
				}
			}
		})
	}
}

// TestDOTEdgeCases draws what the labs above do not have: an LB IP the TOR
// has no route for, a node in a route it is excluded from (no eTP Local),
// a session the TOR has no state for, and a lab without a TOR, where no
// edge may point at a vertex that is not drawn (parseDOT checks).
func TestDOTEdgeCases(t *testing.T) {
	tests := []struct {
		name     string
		change   func(*graph.Graph)
		from, to string
		label    string
	}{{
		name: "no route",
		change: func(g *graph.Graph) {
			g.LBIPs = []graph.LBIP{{Service: "default/web", IP: addr("198.51.100.30")}}
		},
		from: "host/tor", to: "lbip/198.51.100.30", label: "no route",
	}, {
		name: "excluded node in the route",
		change: func(g *graph.Graph) {
			g.LBIPs[0].Nexthops = append(g.LBIPs[0].Nexthops, "control-plane")
			g.LBIPs[0].Nodes = append(g.LBIPs[0].Nodes, graph.Fan{Node: "control-plane", InRoute: true})
		},
		from: "lbip/198.51.100.10", to: "host/control-plane", label: "not eligible",
	}, {
		name: "session without a state or a problem",
		change: func(g *graph.Graph) {
			g.Sessions = []graph.Session{{Node: "node1", Peer: addr("10.88.0.3"), Family: "IPv4"}}
		},
		from: "host/tor", to: "host/node1", label: "IPv4 no state",
	}, {
		name: "no TOR: the client on the segment",
		change: func(g *graph.Graph) {
			g.Hosts = slices.DeleteFunc(g.Hosts, func(h graph.Host) bool { return h.Role == graph.RoleTOR })
			g.Problems = []string{"the lab has no TOR"}
		},
		from: "host/client", to: "segment",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := ecmpLab()
			tt.change(g)
			_, d := dotOf(t, g, graph.Options{})
			if l := d.edge(t, tt.from, tt.to)["label"]; l != tt.label {
				t.Errorf("%s -> %s label %q, want %q", tt.from, tt.to, l, tt.label)
			}
		})
	}
}
