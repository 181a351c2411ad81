package graph

import "net/netip"

// Graph is one lab's live state, in plain values.
type Graph struct {
	Lab       string `json:"lab"`
	Backend   string `json:"backend"`
	Dataplane string `json:"dataplane"`
	// Segment names the shared network the TOR and the Kubernetes nodes
	// are on (the netns backend's bridge, kind's Docker network).
	Segment  string    `json:"segment"`
	Hosts    []Host    `json:"hosts"`
	Sessions []Session `json:"sessions"`
	LBIPs    []LBIP    `json:"lbIPs"`
	// Problems are what could not be read (a reader's error); the picture
	// is drawn from the rest and says so.
	Problems []string `json:"problems,omitempty"`
}

// Role of a host, as lab.Role spells it.
const (
	RoleClient       = "client"
	RoleTOR          = "tor"
	RoleControlPlane = "control-plane"
	RoleWorker       = "worker"
	// RoleLB is an external load balancer host, linked to the TOR.
	RoleLB = "lb"
)

// Host is one lab host. A client and an lb host are linked to the TOR;
// every other host is on the Segment.
type Host struct {
	Name  string       `json:"name"`
	Role  string       `json:"role"`
	Addrs []netip.Addr `json:"addrs"`
	ASN   uint32       `json:"asn,omitempty"`
	// Dataplane is the node's data plane; "" on hosts that are not
	// Kubernetes nodes and on a node that runs none.
	Dataplane string `json:"dataplane,omitempty"`
	// Kernel is "uml" for a host on a user-mode Linux kernel, "" for one
	// on the machine's.
	Kernel string `json:"kernel,omitempty"`
}

// Session is one BGP session the TOR has or should have.
type Session struct {
	// Node is the speaker's node; "" when no node has the peer address.
	Node   string     `json:"node,omitempty"`
	Peer   netip.Addr `json:"peer,omitzero"`
	Family string     `json:"family"` // IPv4 or IPv6: the session's transport
	// State is the TOR's state for it ("Established", "Active", ...);
	// "" when the TOR has no such neighbour.
	State string `json:"state,omitempty"`
	// BFD is the TOR's BFD state for the session (bfdd's up, down, init,
	// shutdown; "none" when BFD is configured and bfdd has no session with
	// the peer); "" when BFD is not configured.
	BFD string `json:"bfd,omitempty"`
	// Problem is bgp-sessions' word for what is wrong: missing, down,
	// unexpected, duplicate, no address.
	Problem string `json:"problem,omitempty"`
}

// Established reports whether the session is up.
func (s Session) Established() bool { return s.State == "Established" }

// LBIP is one LoadBalancer IP with its fan-out.
type LBIP struct {
	Service  string     `json:"service"` // namespace/name
	IP       netip.Addr `json:"ip"`
	ETPLocal bool       `json:"etpLocal,omitempty"`
	// Nexthops are the nodes in the TOR's FIB route for the IP, in the
	// route's order.
	Nexthops []string `json:"nexthops"`
	// Strangers are next hops of the route that are no node's address.
	Strangers []netip.Addr `json:"strangers,omitempty"`
	// Nodes are the nodes in the route and those that hold pods of the
	// Service, each with its pods.
	Nodes []Fan `json:"nodes"`
	// L2 is true in an L2 lab: Nexthops are then the nodes that answer
	// ARP (IPv4) or NDP (IPv6) for the IP, and InRoute marks them.
	L2 bool `json:"l2,omitempty"`
	// Unknown counts answers from MACs no node has (L2).
	Unknown int `json:"unknown,omitempty"`
}

// Fan is one node's part of an LB IP's fan-out.
type Fan struct {
	Node string `json:"node"`
	// InRoute is true when the TOR sends the IP's traffic to the node.
	InRoute bool `json:"inRoute"`
	// Eligible is true when the node should be in the route (not excluded;
	// under externalTrafficPolicy: Local, with a ready endpoint).
	Eligible bool  `json:"eligible"`
	Pods     []Pod `json:"pods,omitempty"`
}

// Stray reports a node the TOR sends traffic to that should not get it:
// under externalTrafficPolicy: Local one without a ready endpoint, and
// under either policy a node excluded from load balancers.
func (f Fan) Stray() bool { return f.InRoute && !f.Eligible }

// Pod is one endpoint of the Service on a node.
type Pod struct {
	Name  string     `json:"name"`
	Addr  netip.Addr `json:"addr"`
	Ready bool       `json:"ready"`
}
