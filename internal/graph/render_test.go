package graph_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/graph"
	"github.com/lblab/lblab/internal/testutil"
)

var addr = netip.MustParseAddr

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, addr(s))
	}
	return out
}

// hosts are a bgp-ecmp lab's client, TOR, control plane and three workers;
// v6 adds each one's IPv6 address, kernel the nodes' kernel.
func hosts(dataplane, kernel string, v6 bool) []graph.Host {
	hs := []graph.Host{
		{Name: "client", Role: graph.RoleClient, Addrs: addrs("192.0.2.2")},
		{Name: "tor", Role: graph.RoleTOR, Addrs: addrs("10.88.0.1", "192.0.2.1"), ASN: 64496},
		{Name: "control-plane", Role: graph.RoleControlPlane, Addrs: addrs("10.88.0.2")},
		{Name: "node1", Role: graph.RoleWorker, Addrs: addrs("10.88.0.3")},
		{Name: "node2", Role: graph.RoleWorker, Addrs: addrs("10.88.0.4")},
		{Name: "node3", Role: graph.RoleWorker, Addrs: addrs("10.88.0.5")},
	}
	v6s := []string{"2001:db8:c::2", "fd00:88::1", "fd00:88::2", "fd00:88::3", "fd00:88::4", "fd00:88::5"}
	for i := range hs {
		if v6 {
			hs[i].Addrs = append(hs[i].Addrs, addr(v6s[i]))
		}
		if i >= 2 {
			hs[i].ASN, hs[i].Dataplane, hs[i].Kernel = 64500, dataplane, kernel
		}
	}
	return hs
}

// established are Established sessions of family with each node, peers
// from the node's addresses in hs.
func established(hs []graph.Host, family string) []graph.Session {
	var out []graph.Session
	for _, h := range hs[2:] {
		for _, a := range h.Addrs {
			if a.Is6() == (family == "IPv6") {
				out = append(out, graph.Session{Node: h.Name, Peer: a, Family: family, State: "Established"})
			}
		}
	}
	return out
}

// fan is every worker in the route and eligible, each with its pod.
func fan(pods map[string][]graph.Pod) []graph.Fan {
	var out []graph.Fan
	for _, n := range []string{"node1", "node2", "node3"} {
		out = append(out, graph.Fan{Node: n, InRoute: true, Eligible: true, Pods: pods[n]})
	}
	return out
}

func ready(name, a string) graph.Pod { return graph.Pod{Name: name, Addr: addr(a), Ready: true} }

// ecmpLab is bgp-ecmp at rest: four Established sessions, one LB IP
// fanned out to the three workers and their nginx pods.
func ecmpLab() *graph.Graph {
	hs := hosts("iptables", "", false)
	return &graph.Graph{
		Lab: "bgp-ecmp", Backend: "netns", Dataplane: "iptables", Segment: "bridge br0",
		Hosts: hs, Sessions: established(hs, "IPv4"),
		LBIPs: []graph.LBIP{{
			Service: "default/nginx", IP: addr("198.51.100.10"), Nexthops: []string{"node1", "node2", "node3"},
			Nodes: fan(map[string][]graph.Pod{
				"node1": {ready("nginx-7c5ddbdf54-2xkqp", "10.244.1.2")},
				"node2": {ready("nginx-7c5ddbdf54-8fjzt", "10.244.2.2")},
				"node3": {ready("nginx-7c5ddbdf54-tq6wd", "10.244.3.2")},
			}),
		}},
	}
}

// dualLab is bgp-ecmp-dual on ipvs (uml nodes): sessions of both families,
// an IPv4 and an IPv6 LB IP in front of the same pods.
func dualLab() *graph.Graph {
	hs := hosts("ipvs", "uml", true)
	g := &graph.Graph{
		Lab: "bgp-ecmp-dual", Backend: "netns", Dataplane: "ipvs", Segment: "bridge br0",
		Hosts: hs, Sessions: append(established(hs, "IPv4"), established(hs, "IPv6")...),
	}
	for _, v6 := range []bool{false, true} {
		ip, pod := "198.51.100.10", "10.244.%d.2"
		if v6 {
			ip, pod = "2001:db8:100::10", "fd00:10:244:%d::2"
		}
		pods := map[string][]graph.Pod{}
		for i, name := range []string{"web-5d8f7b9c6-4hx2m", "web-5d8f7b9c6-9kq7p", "web-5d8f7b9c6-zr5wn"} {
			pods[fmt.Sprintf("node%d", i+1)] = []graph.Pod{ready(name, fmt.Sprintf(pod, i+1))}
		}
		g.LBIPs = append(g.LBIPs, graph.LBIP{Service: "default/web", IP: addr(ip), Nexthops: []string{"node1", "node2", "node3"}, Nodes: fan(pods)})
	}
	return g
}

// brokenLab has what can go wrong: node3's session Active (BFD Down), the
// control plane's missing, a stale peer that is no node's still
// Established and a next hop of default/web; node3 missing from both
// routes; under externalTrafficPolicy: Local, node2 announcing with only a
// pod that is not ready; and a reader that failed.
func brokenLab() *graph.Graph {
	hs := hosts("nftables", "", false)
	return &graph.Graph{
		Lab: "bgp-pools", Backend: "netns", Dataplane: "nftables", Segment: "bridge br0",
		Hosts: hs,
		Sessions: []graph.Session{
			{Node: "node1", Peer: addr("10.88.0.3"), Family: "IPv4", State: "Established"},
			{Node: "node2", Peer: addr("10.88.0.4"), Family: "IPv4", State: "Established"},
			{Node: "node3", Peer: addr("10.88.0.5"), Family: "IPv4", State: "Active", BFD: "Down", Problem: "down"},
			{Peer: addr("10.88.0.99"), Family: "IPv4", State: "Established", Problem: "unexpected"},
			{Node: "control-plane", Peer: addr("10.88.0.2"), Family: "IPv4", Problem: "missing"},
		},
		LBIPs: []graph.LBIP{{
			Service: "default/web", IP: addr("198.51.100.10"), Nexthops: []string{"node1", "node2"},
			Strangers: addrs("10.88.0.99"),
			Nodes: []graph.Fan{
				{Node: "node1", InRoute: true, Eligible: true, Pods: []graph.Pod{ready("web-6b9f8d7c5-h2k4x", "10.244.1.3")}},
				{Node: "node2", InRoute: true, Eligible: true, Pods: []graph.Pod{ready("web-6b9f8d7c5-p7m9q", "10.244.2.3")}},
				{Node: "node3", Eligible: true, Pods: []graph.Pod{ready("web-6b9f8d7c5-w3n8r", "10.244.3.3")}},
			},
		}, {
			Service: "default/web-local", IP: addr("198.51.100.20"), ETPLocal: true, Nexthops: []string{"node1", "node2"},
			Nodes: []graph.Fan{
				{Node: "node1", InRoute: true, Eligible: true, Pods: []graph.Pod{ready("web-local-7f6c9d-bq2zt", "10.244.1.4")}},
				{Node: "node2", InRoute: true, Pods: []graph.Pod{{Name: "web-local-7f6c9d-xv8kd", Addr: addr("10.244.2.4")}}},
				{Node: "node3", Eligible: true, Pods: []graph.Pod{ready("web-local-7f6c9d-m5r7c", "10.244.3.4")}},
			},
		}},
		Problems: []string{`failed to read node4: Get "https://10.88.0.2:6443/api/v1/nodes/node4": context deadline exceeded`},
	}
}

var labs = []struct {
	name string
	g    func() *graph.Graph
}{{"ecmp", ecmpLab}, {"dual", dualLab}, {"broken", brokenLab}}

// needDot skips a test that runs Graphviz's dot when it is missing, or
// fails it under LBLAB_INTEGRATION=1.
func needDot(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("dot"); err != nil {
		if os.Getenv(testutil.EnvIntegration) == "1" {
			t.Fatalf("%v, and %s=1 says this test must run", graph.ErrNoDot, testutil.EnvIntegration)
		}
		t.Skipf("%v (set %s=1 to make this a failure)", graph.ErrNoDot, testutil.EnvIntegration)
	}
}

func render(t *testing.T, g *graph.Graph, o graph.Options, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := graph.Render(context.Background(), &b, g, o, format); err != nil {
		t.Fatalf("Render %s: %v", format, err)
	}
	return b.Bytes()
}

func TestRenderText(t *testing.T) {
	if got, want := graph.Formats(), []string{"dot", "mermaid", "svg", "png", "json"}; !slices.Equal(got, want) {
		t.Errorf("Formats() = %v, want %v", got, want)
	}
	g := brokenLab()
	tests := []struct {
		format string
		write  func(io.Writer, *graph.Graph, graph.Options) error
	}{{"dot", graph.DOT}, {"mermaid", graph.Mermaid}, {"json", graph.JSON}}
	for _, tt := range tests {
		var want bytes.Buffer
		if err := tt.write(&want, g, graph.Options{}); err != nil {
			t.Fatal(err)
		}
		if got := render(t, g, graph.Options{}, tt.format); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("Render %s differs from its writer:\n%s", tt.format, got)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name, format string
		ctx          func() context.Context
		path         bool // an empty PATH: no dot
		want         []string
		is           error
	}{
		{name: "unknown format", format: "jpeg", want: []string{`"jpeg"`, "dot, mermaid, svg, png, json"}},
		{name: "no dot", format: "svg", path: true, is: graph.ErrNoDot,
			want: []string{"graphviz's dot is not installed", "make setup", "apt-get install graphviz"}},
		{name: "canceled", format: "png", is: context.Canceled, want: []string{"dot -Tpng"},
			ctx: func() context.Context { ctx, cancel := context.WithCancel(context.Background()); cancel(); return ctx }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.ctx != nil {
				needDot(t)
				ctx = tt.ctx()
			}
			if tt.path {
				t.Setenv("PATH", t.TempDir())
			}
			var b bytes.Buffer
			err := graph.Render(ctx, &b, ecmpLab(), graph.Options{}, tt.format)
			if err == nil {
				t.Fatalf("Render %s: no error", tt.format)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			if b.Len() > 0 {
				t.Errorf("a failed Render wrote %d bytes", b.Len())
			}
		})
	}
}

// TestRenderImages runs Graphviz's dot: the SVG is XML with an <svg> root
// that shows the LB IP, and is what dot makes of DOT's output (one
// layout); the PNG decodes and is a picture, not an icon.
func TestRenderImages(t *testing.T) {
	needDot(t)
	g := ecmpLab()
	svg := render(t, g, graph.Options{}, "svg")
	dec := xml.NewDecoder(bytes.NewReader(svg))
	root, texts := "", []string{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
		case xml.CharData:
			texts = append(texts, strings.TrimSpace(string(tok)))
		}
	}
	if root != "svg" {
		t.Errorf("SVG root element is <%s>, want <svg>", root)
	}
	for _, want := range []string{"198.51.100.10", "default/nginx", "IPv4 Established", "ECMP 1/3", "node3"} {
		if !slices.Contains(texts, want) {
			t.Errorf("SVG has no text %q", want)
		}
	}
	var src bytes.Buffer
	if err := graph.DOT(&src, g, graph.Options{}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dot", "-Tsvg")
	cmd.Stdin = &src
	if direct, err := cmd.Output(); err != nil {
		t.Fatal(err)
	} else if !bytes.Equal(direct, svg) {
		t.Error("the SVG is not dot's layout of the DOT output")
	}

	img, err := png.Decode(bytes.NewReader(render(t, g, graph.Options{}, "png")))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() <= 300 || b.Dy() <= 100 {
		t.Errorf("PNG is %dx%d, want wider than 300 and taller than 100", b.Dx(), b.Dy())
	}
}

// TestDOTAcceptedByDot has dot lay out every lab, the broken one's quotes
// and IPv6 addresses included, without a warning.
func TestDOTAcceptedByDot(t *testing.T) {
	needDot(t)
	for _, l := range labs {
		t.Run(l.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cmd := exec.Command("dot", "-Tsvg", "-o", os.DevNull)
			cmd.Stdin = bytes.NewReader(render(t, l.g(), graph.Options{}, "dot"))
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil || stderr.Len() > 0 {
				t.Errorf("dot: %v: %s", err, stderr.String())
			}
		})
	}
}
