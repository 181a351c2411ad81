package graph

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// A scene is what every writer draws: the vertices and edges of a Graph,
// in a fixed order, with stable keys. DOT uses the keys as IDs; Mermaid
// numbers the vertices.
type scene struct {
	title    string
	vertices []*vertex
	edges    []edge
	byKey    map[string]*vertex
	seen     map[edge]bool
}

type vkind int

const (
	vHost     vkind = iota
	vSegment        // the network the TOR and the nodes share
	vLBIP           // a LoadBalancer IP
	vUnknown        // a BGP peer or next hop that is no node's address
	vPod            // an endpoint of a Service
	vProblems       // what could not be read
)

// A vertex's label is its title and then its lines.
type vertex struct {
	key   string
	kind  vkind
	title string
	lines []string
	// bad marks a vertex drawn as a problem: a host that is not in the
	// lab, a pod that is not ready.
	bad bool
}

type ekind int

const (
	eLink        ekind = iota // a host's link: client to TOR, hosts to the segment
	eEstablished              // an Established BGP session
	eDown                     // any other BGP session
	eRoute                    // TOR to an LB IP it has a route for
	eNoRoute                  // TOR to an LB IP it has no route for
	eECMP                     // LB IP to an eligible node in its route
	eStray                    // LB IP to a node in its route that should not be
	eMissing                  // LB IP to an eligible node missing from its route
	eStranger                 // LB IP to a next hop that is no node
	ePodReady                 // node to a ready pod
	ePodNotReady              // node to a pod that is not ready
)

type edge struct {
	from, to string
	kind     ekind
	label    string
}

const segmentKey = "segment"

// newScene lays out g: hosts, the segment and the links, BGP sessions, the
// LB IPs o selects with their fan-out and pods, and the problems.
func newScene(g *Graph, o Options) *scene {
	s := &scene{title: title(g), byKey: map[string]*vertex{}, seen: map[edge]bool{}}
	tor := ""
	for _, h := range g.Hosts {
		s.add(&vertex{key: hostKey(h.Name), kind: vHost, title: h.Name, lines: hostLines(h)})
		if h.Role == RoleTOR && tor == "" {
			tor = hostKey(h.Name)
		}
	}
	for _, h := range g.Hosts {
		switch {
		case (h.Role == RoleClient || h.Role == RoleLB) && tor != "":
			s.edge(hostKey(h.Name), tor, eLink, "")
		case h.Role == RoleClient || h.Role == RoleLB || h.Role == RoleTOR:
			s.edge(hostKey(h.Name), s.segment(g), eLink, "")
		default:
			s.edge(s.segment(g), hostKey(h.Name), eLink, "")
		}
	}
	for _, ss := range g.Sessions {
		to := s.speaker(ss)
		if tor == "" {
			continue
		}
		k := eEstablished
		if !ss.Established() || ss.Problem != "" || ss.BFD != "" && ss.BFD != "up" {
			k = eDown // BFD configured and not up counts as a failure too
		}
		s.edge(tor, to, k, sessionLabel(ss))
	}
	for _, l := range g.LBIPs {
		if o.Service == "" || l.Service == o.Service {
			s.lbIP(tor, l)
		}
	}
	for i, e := range s.edges {
		if e.kind == ePodReady && s.byKey[e.to].bad {
			s.edges[i].kind = ePodNotReady
		}
	}
	if len(g.Problems) > 0 {
		s.add(&vertex{key: "problems", kind: vProblems, title: "problems", lines: g.Problems, bad: true})
	}
	return s
}

// lbIP draws l: its vertex, the TOR's route to it, the route's next hops,
// the nodes that should be in it, and their pods.
func (s *scene) lbIP(tor string, l LBIP) {
	key := "lbip/" + l.IP.String()
	if v := s.byKey[key]; v != nil { // an IP two Services share
		v.lines = append(v.lines, l.Service)
	} else {
		v := &vertex{key: key, kind: vLBIP, title: l.IP.String(), lines: []string{l.Service}}
		if l.ETPLocal {
			v.lines = append(v.lines, "eTP Local")
		}
		s.add(v)
	}
	if l.L2 {
		s.l2IP(tor, key, l)
		return
	}
	paths := len(l.Nexthops) + len(l.Strangers)
	if tor != "" && paths == 0 {
		s.edge(tor, key, eNoRoute, "no route")
	} else if tor != "" {
		s.edge(tor, key, eRoute, "")
	}
	share := func(n int) string { return fmt.Sprintf("ECMP %d/%d", n, paths) }
	count := map[string]int{}
	for _, n := range l.Nexthops {
		count[n]++
	}
	drawn := map[string]bool{}
	for _, f := range l.Nodes {
		to := s.node(f.Node)
		drawn[f.Node] = true
		switch {
		case f.Stray() && l.ETPLocal:
			s.edge(key, to, eStray, "no local endpoint")
		case f.Stray():
			s.edge(key, to, eStray, "not eligible")
		case f.InRoute:
			s.edge(key, to, eECMP, share(max(count[f.Node], 1)))
		case f.Eligible:
			s.edge(key, to, eMissing, "missing from route")
		}
		for _, p := range f.Pods {
			s.edge(to, s.pod(p), ePodReady, "")
		}
	}
	for _, n := range l.Nexthops { // a next hop without a Fan
		if !drawn[n] {
			drawn[n] = true
			s.edge(key, s.node(n), eECMP, share(count[n]))
		}
	}
	for _, a := range l.Strangers {
		s.edge(key, s.unknown(a, true), eStranger, share(1))
	}
}

// speaker returns the key of a session's node, or of its peer address when
// no node has it.
func (s *scene) speaker(ss Session) string {
	if ss.Node != "" {
		return s.node(ss.Node)
	}
	return s.unknown(ss.Peer, false)
}

// unknown returns the key of an address that is no node's: a BGP peer, a
// next hop, or both (one vertex, labelled as the next hop).
func (s *scene) unknown(a netip.Addr, nexthop bool) string {
	addr := "unknown address"
	if a.IsValid() {
		addr = a.String()
	}
	k := "addr/" + addr
	v := s.byKey[k]
	if v == nil {
		v = &vertex{key: k, kind: vUnknown, title: addr, lines: []string{"no node has this address"}, bad: true}
		s.add(v)
	}
	if nexthop {
		v.title, v.lines = "unknown next hop", []string{addr}
	}
	return k
}

// node returns the key of the host named name, adding one when the lab
// has no such host.
func (s *scene) node(name string) string {
	k := hostKey(name)
	if s.byKey[k] == nil {
		s.add(&vertex{key: k, kind: vHost, title: name, lines: []string{"not a host of the lab"}, bad: true})
	}
	return k
}

// pod returns the key of pod p, drawn once however many LB IPs it is
// behind, with each of its addresses; it is not ready if any of them is not.
func (s *scene) pod(p Pod) string {
	k := "pod/" + p.Name
	v := s.byKey[k]
	if v == nil {
		v = &vertex{key: k, kind: vPod, title: p.Name}
		s.add(v)
	}
	if a := p.Addr.String(); p.Addr.IsValid() && !slices.Contains(v.lines, a) {
		v.lines = append(v.lines, a)
	}
	v.bad = v.bad || !p.Ready
	return k
}

func (s *scene) segment(g *Graph) string {
	if s.byKey[segmentKey] == nil {
		name := g.Segment
		if name == "" {
			name = "shared network"
		}
		s.add(&vertex{key: segmentKey, kind: vSegment, title: name})
	}
	return segmentKey
}

func (s *scene) add(v *vertex) {
	s.vertices = append(s.vertices, v)
	s.byKey[v.key] = v
}

// edge adds an edge once.
func (s *scene) edge(from, to string, k ekind, label string) {
	e := edge{from: from, to: to, kind: k, label: label}
	if !s.seen[e] {
		s.seen[e] = true
		s.edges = append(s.edges, e)
	}
}

func hostKey(name string) string { return "host/" + name }

func title(g *Graph) string {
	parts := []string{"lab " + g.Lab}
	for _, p := range []string{g.Backend, g.Dataplane} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " · ")
}

// hostLines are what a host's box says under its name: role and AS, its
// addresses, and a node's data plane and kernel.
func hostLines(h Host) []string {
	role := h.Role
	if h.ASN != 0 {
		role += fmt.Sprintf(" · AS %d", h.ASN)
	}
	lines := []string{role}
	for _, a := range h.Addrs {
		lines = append(lines, a.String())
	}
	kernel := "host kernel"
	if h.Kernel != "" {
		kernel = h.Kernel + " kernel"
	}
	switch {
	case h.Role == RoleControlPlane || h.Role == RoleWorker:
		dp := h.Dataplane
		if dp == "" {
			dp = "no data plane"
		}
		lines = append(lines, dp+" · "+kernel)
	case h.Kernel != "":
		lines = append(lines, kernel)
	}
	return lines
}

// sessionLabel is a session's family and state, or what is wrong when the
// TOR has no state for it, and its BFD state.
func sessionLabel(ss Session) string {
	l := ss.Family
	switch {
	case ss.State == "" && ss.Problem != "":
		l += " " + ss.Problem
	case ss.State == "":
		l += " no state"
	default:
		l += " " + ss.State
		if ss.Problem != "" && ss.Problem != "down" {
			l += " (" + ss.Problem + ")"
		}
	}
	if ss.BFD != "" {
		l += "\nBFD " + ss.BFD
	}
	return l
}

// l2IP draws the owners of an LB IP of an L2 lab: one node answers for
// it; more, none, or one that may not are drawn as problems.
func (s *scene) l2IP(tor, key string, l LBIP) {
	proto := "ARP"
	if l.IP.Is6() {
		proto = "NDP"
	}
	answers := len(l.Nexthops) + l.Unknown
	switch {
	case tor != "" && answers == 0:
		s.edge(tor, key, eNoRoute, "nobody answers "+proto)
	case tor != "":
		s.edge(tor, key, eRoute, "")
	}
	label := proto + " owner"
	if answers > 1 {
		label = fmt.Sprintf("%s: %d answer", proto, answers)
	}
	for _, f := range l.Nodes {
		to := s.node(f.Node)
		switch {
		case f.Stray() && l.ETPLocal:
			s.edge(key, to, eStray, proto+" owner without a local endpoint")
		case f.Stray():
			s.edge(key, to, eStray, proto+" owner, not eligible")
		case f.InRoute && answers > 1:
			s.edge(key, to, eStray, label)
		case f.InRoute:
			s.edge(key, to, eECMP, label)
		}
		for _, p := range f.Pods {
			s.edge(to, s.pod(p), ePodReady, "")
		}
	}
	if l.Unknown > 0 {
		s.edge(key, s.unknown(netip.Addr{}, true), eStranger, fmt.Sprintf("%s: %d unknown MAC(s)", proto, l.Unknown))
	}
}
