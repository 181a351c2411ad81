package scenarios

import (
	"maps"
	"net/netip"
	"slices"
	"sort"
)

// LabelExcludeLB keeps a node out of external load balancing.
const LabelExcludeLB = "node.kubernetes.io/exclude-from-external-load-balancers"

// Cluster is what the checks read from Kubernetes, in plain values.
type Cluster struct {
	Nodes    []NodeInfo    `json:"nodes"`
	Services []ServiceInfo `json:"services"`
	// Held are the LB IPs any LoadBalancer Service in the cluster holds
	// (the topology's and any other), to tell a stale route from a live one.
	Held []netip.Addr `json:"held"`
	// Unserved are the address families the lab's controller cannot
	// serve, with why (MetalLB's native BGP mode and IPv6): a Service
	// holding no LB IP of such a family is not a failure, and the checks
	// say what they did not judge.
	Unserved map[string]string `json:"unserved,omitempty"`
}

// NodeInfo is one Kubernetes node.
type NodeInfo struct {
	Name  string       `json:"name"`
	Addrs []netip.Addr `json:"addrs"` // fabric addresses (the lab host's), IPv4 first
	// ClassAddrs are the addresses the speaker of a class controller
	// peers from, by loadBalancerClass (labs with controller.classes).
	ClassAddrs         map[string][]netip.Addr `json:"classAddrs,omitempty"`
	Excluded           bool                    `json:"excluded,omitempty"`
	NetworkUnavailable bool                    `json:"networkUnavailable,omitempty"`
	Ready              bool                    `json:"ready"`
}

// ServiceInfo is one Service with its LB addresses and endpoints.
type ServiceInfo struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Class     string `json:"class,omitempty"` // spec.loadBalancerClass
	ETPLocal  bool   `json:"etpLocal,omitempty"`
	// HealthCheckNodePort is kube-proxy's per-node health check of an
	// ETP=Local Service (200 while the node has a ready local endpoint).
	HealthCheckNodePort uint16         `json:"healthCheckNodePort,omitempty"`
	Families            []string       `json:"families"` // spec.ipFamilies: IPv4, IPv6
	LBIPs               []netip.Addr   `json:"lbIPs"`
	Ports               []PortInfo     `json:"ports"`
	SourceRanges        []netip.Prefix `json:"sourceRanges,omitempty"`
	Endpoints           []EndpointInfo `json:"endpoints"`
}

// PortInfo is one Service port.
type PortInfo struct {
	Name     string `json:"name,omitempty"`
	Port     uint16 `json:"port"`
	NodePort uint16 `json:"nodePort,omitempty"`
	Protocol string `json:"protocol"` // lower case
}

// EndpointInfo is one endpoint address from an EndpointSlice.
type EndpointInfo struct {
	Addr  netip.Addr `json:"addr"`
	Node  string     `json:"node,omitempty"`
	Ready bool       `json:"ready"`
	Pod   string     `json:"pod,omitempty"`
	// Ports maps EndpointSlice port names to target ports.
	Ports map[string]uint16 `json:"ports"`
}

// Target is "ip:port/proto" of the port on the LB IP ip.
func (p PortInfo) Target(ip netip.Addr) string {
	return netip.AddrPortFrom(ip, p.Port).String() + "/" + p.Protocol
}

// Key is "namespace/name".
func (s ServiceInfo) Key() string { return s.Namespace + "/" + s.Name }

// Node returns the named node.
func (c *Cluster) Node(name string) (NodeInfo, bool) {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return NodeInfo{}, false
}

// Service returns the Service namespace/name.
func (c *Cluster) Service(key string) (ServiceInfo, bool) {
	for _, s := range c.Services {
		if s.Key() == key {
			return s, true
		}
	}
	return ServiceInfo{}, false
}

// EligibleNodes returns the names of the nodes that must announce the
// Service's LB IPs, sorted: not labelled exclude-from-external-load-balancers,
// not NetworkUnavailable, and for ETP=Local holding a ready endpoint.
func EligibleNodes(c *Cluster, s ServiceInfo) []string {
	local := map[string]bool{}
	anyReady := false
	for _, ep := range s.Endpoints {
		if ep.Ready {
			anyReady = true
			local[ep.Node] = true
		}
	}
	var out []string
	if !anyReady {
		return out // no ready endpoint at all: the IP is withdrawn
	}
	for _, n := range c.Nodes {
		if n.Excluded || n.NetworkUnavailable {
			continue
		}
		if s.ETPLocal && !local[n.Name] {
			continue
		}
		out = append(out, n.Name)
	}
	sort.Strings(out)
	return out
}

// NodeAddrs returns the named nodes' addresses of addr's family, sorted.
func NodeAddrs(c *Cluster, names []string, family netip.Addr) []netip.Addr {
	return SpeakerAddrs(c, names, "", family)
}

// SpeakerAddrs returns the named nodes' addresses of addr's family that
// the speakers of class's controller peer from (the nodes' own for the
// default controller, ""), sorted: the next hops of its routes.
func SpeakerAddrs(c *Cluster, names []string, class string, family netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, name := range names {
		n, ok := c.Node(name)
		if !ok {
			continue
		}
		for _, a := range n.speakerAddrs(class) {
			if a.Is4() == family.Is4() {
				out = append(out, a)
			}
		}
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}

// speakerAddrs are the addresses class's speaker on n peers from.
func (n NodeInfo) speakerAddrs(class string) []netip.Addr {
	if as, ok := n.ClassAddrs[class]; ok && class != "" {
		return as
	}
	return n.Addrs
}

// NodeOf names the node holding a, among its own and its class
// controllers' addresses; "" when none does.
func (c *Cluster) NodeOf(a netip.Addr) string {
	for _, n := range c.Nodes {
		if slices.Contains(n.Addrs, a) {
			return n.Name
		}
		for _, as := range n.ClassAddrs {
			if slices.Contains(as, a) {
				return n.Name
			}
		}
	}
	return ""
}

// ExpectedBackends returns the endpoints external traffic to the Service's
// port must reach on node (all ready endpoints of the LB IP's family, or
// only the node's own for ETP=Local), sorted.
func ExpectedBackends(s ServiceInfo, p PortInfo, lbIP netip.Addr, node string) []netip.AddrPort {
	var out []netip.AddrPort
	for _, ep := range s.Endpoints {
		if !ep.Ready || ep.Addr.Is4() != lbIP.Is4() || (s.ETPLocal && ep.Node != node) {
			continue
		}
		target, ok := ep.Ports[p.Name]
		if !ok {
			continue
		}
		out = append(out, netip.AddrPortFrom(ep.Addr, target))
	}
	slices.SortFunc(out, func(a, b netip.AddrPort) int { return a.Compare(b) })
	return slices.Compact(out)
}

// addrDiff returns what is in want but not got (missing) and what is in
// got but not want (extra).
func addrDiff[T comparable](want, got []T) (missing, extra []T) {
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

// unservedNotes says, per family the controller cannot serve, that the
// checks did not judge it and why, in family order.
func unservedNotes(unserved map[string]string) []string {
	var out []string
	for _, fam := range slices.Sorted(maps.Keys(unserved)) {
		out = append(out, fam+" not judged: "+unserved[fam])
	}
	return out
}
