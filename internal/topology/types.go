package topology

import "net/netip"

// APIVersion and Kind identify a topology file.
const (
	APIVersion = "lblab.dev/v1alpha1"
	Kind       = "Topology"
)

// Topology describes one lab: its hosts, its network, the TOR router, the
// load-balancer controller, the data plane, workloads and verify scenarios.
type Topology struct {
	APIVersion  string     `yaml:"apiVersion"`
	Kind        string     `yaml:"kind"`
	Name        string     `yaml:"name"`
	Description string     `yaml:"description,omitempty"`
	Nodes       Nodes      `yaml:"nodes,omitempty"`
	Network     Network    `yaml:"network,omitempty"`
	TOR         TOR        `yaml:"tor,omitempty"`
	Controller  Controller `yaml:"controller,omitempty"`
	Dataplane   Dataplane  `yaml:"dataplane,omitempty"`
	NodeKernel  NodeKernel `yaml:"nodeKernel,omitempty"`
	// ExternalLB, when set, adds an L4 load balancer host behind the TOR
	// and its controller, which serves Services of its class.
	ExternalLB *ExternalLB `yaml:"externalLB,omitempty"`
	// ControlPlane, when set, puts the control-plane nodes' API servers
	// behind a VIP announced by BGP.
	ControlPlane *ControlPlane `yaml:"controlPlane,omitempty"`
	Workloads    []Workload    `yaml:"workloads,omitempty"`
	Scenarios    []string      `yaml:"scenarios,omitempty"`
}

// Role is a Kubernetes node role.
type Role string

// Node roles.
const (
	RoleControlPlane Role = "control-plane"
	RoleWorker       Role = "worker"
)

// Node is one Kubernetes node of the lab.
type Node struct {
	Name   string            `yaml:"name,omitempty"`
	Role   Role              `yaml:"role,omitempty"`
	Labels map[string]string `yaml:"labels,omitempty"`
}

// IPFamily selects the lab's address families.
type IPFamily string

// IP families.
const (
	IPv4 IPFamily = "ipv4"
	IPv6 IPFamily = "ipv6"
	Dual IPFamily = "dual"
)

// HasV4 reports whether the family includes IPv4.
func (f IPFamily) HasV4() bool { return f == IPv4 || f == Dual }

// HasV6 reports whether the family includes IPv6.
func (f IPFamily) HasV6() bool { return f == IPv6 || f == Dual }

// Network holds the lab's subnets. An empty node subnet is chosen by lblab at
// `up` time so that labs do not collide with each other or with the host.
type Network struct {
	IPFamily          IPFamily `yaml:"ipFamily,omitempty"`
	IPv4Subnet        string   `yaml:"ipv4Subnet,omitempty"`
	IPv6Subnet        string   `yaml:"ipv6Subnet,omitempty"`
	IPv4PodSubnet     string   `yaml:"ipv4PodSubnet,omitempty"`
	IPv6PodSubnet     string   `yaml:"ipv6PodSubnet,omitempty"`
	IPv4ServiceSubnet string   `yaml:"ipv4ServiceSubnet,omitempty"`
	IPv6ServiceSubnet string   `yaml:"ipv6ServiceSubnet,omitempty"`
	IPv4ClientSubnet  string   `yaml:"ipv4ClientSubnet,omitempty"`
	IPv6ClientSubnet  string   `yaml:"ipv6ClientSubnet,omitempty"`
}

// TOR is the FRR top-of-rack router.
type TOR struct {
	ASN           uint32 `yaml:"asn,omitempty"`
	RouterID      string `yaml:"routerID,omitempty"`
	MaximumPaths  int    `yaml:"maximumPaths,omitempty"`
	KeepaliveTime int    `yaml:"keepaliveTime,omitempty"` // seconds
	HoldTime      int    `yaml:"holdTime,omitempty"`      // seconds
	// BFD, when set, runs BFD on every session between the TOR and the
	// speakers: a dead node's routes go within the detection time
	// (transmit interval × multiplier) instead of the hold time.
	BFD *BFD `yaml:"bfd,omitempty"`
}

// BFD are the timers of BFD sessions (RFC 5880), in milliseconds.
type BFD struct {
	TransmitInterval int `yaml:"transmitInterval,omitempty"` // ms, default 300
	ReceiveInterval  int `yaml:"receiveInterval,omitempty"`  // ms, default 300
	DetectMultiplier int `yaml:"detectMultiplier,omitempty"` // default 3
}

// ControllerType names the load-balancer controller lblab installs.
type ControllerType string

// Controller types.
const (
	ControllerLBLab ControllerType = "lblab"
	ControllerNone  ControllerType = "none"
	// ControllerMetalLB is MetalLB (native BGP mode), at a pinned version.
	ControllerMetalLB ControllerType = "metallb"
	// ControllerKubeVIP is kube-vip (services mode, BGP) with
	// kube-vip-cloud-provider allocating its IPs, at pinned versions.
	ControllerKubeVIP ControllerType = "kube-vip"
	// ControllerOpenELB is OpenELB (BGP, a manager on every node), at a
	// pinned version.
	ControllerOpenELB ControllerType = "openelb"
)

// Mode is how LB IPs are announced.
type Mode string

// Announcement modes.
const (
	ModeBGP Mode = "bgp"
	ModeL2  Mode = "l2"
)

// Controller configures the bundled load-balancer controller.
type Controller struct {
	Type  ControllerType `yaml:"type,omitempty"`
	Mode  Mode           `yaml:"mode,omitempty"`
	ASN   uint32         `yaml:"asn,omitempty"`
	Pools []Pool         `yaml:"pools,omitempty"`
	// Classes are further controllers of the lab, beside Type: each
	// handles only the Services of its spec.loadBalancerClass, while Type
	// handles those without one (the lb-class check's situation).
	Classes []ClassController `yaml:"classes,omitempty"`
}

// ClassController is a second LoadBalancer controller in the lab. It
// allocates from pools of its own, and its speakers peer with the TOR from
// addresses of their own (each node's second fabric address), so the TOR
// tells its sessions and routes from those of controller.type.
type ClassController struct {
	Type              ControllerType `yaml:"type"`
	LoadBalancerClass string         `yaml:"loadBalancerClass"`
	Pools             []Pool         `yaml:"pools"`
}

// AllPools returns the pools of every controller of the lab: controller.pools,
// then each class controller's.
func (c *Controller) AllPools() []Pool {
	out := append([]Pool(nil), c.Pools...)
	for _, cl := range c.Classes {
		out = append(out, cl.Pools...)
	}
	return out
}

// ForClass returns the topology as the controller of one loadBalancerClass
// sees it: controller.type, mode and ASN set to that controller's, its
// pools only, and no classes; ok is false when no class controller
// handles class. Installers that know one controller render from it.
func (t *Topology) ForClass(class string) (*Topology, bool) {
	for _, cl := range t.Controller.Classes {
		if cl.LoadBalancerClass == class {
			c := *t
			c.Controller = Controller{Type: cl.Type, Mode: t.Controller.Mode, ASN: t.Controller.ASN, Pools: cl.Pools}
			return &c, true
		}
	}
	return nil, false
}

// Pool is a named set of LoadBalancer addresses: CIDRs or "a-b" ranges.
type Pool struct {
	Name          string   `yaml:"name"`
	Addresses     []string `yaml:"addresses"`
	AutoAssign    *bool    `yaml:"autoAssign,omitempty"`
	AvoidBuggyIPs bool     `yaml:"avoidBuggyIPs,omitempty"`
}

// Dataplane is the node data plane that delivers LB traffic to pods.
type Dataplane string

// Data planes.
const (
	DataplaneIPTables Dataplane = "iptables"
	DataplaneIPVS     Dataplane = "ipvs"
	DataplaneNFTables Dataplane = "nftables"
	DataplaneEBPF     Dataplane = "ebpf"
)

// Dataplanes lists every data plane in a stable order.
var Dataplanes = []Dataplane{DataplaneIPTables, DataplaneIPVS, DataplaneNFTables, DataplaneEBPF}

// NodeKernel is the kernel the lab's worker nodes run on.
type NodeKernel string

// Node kernels. Empty means the backend's choice: the host kernel, unless
// the data plane needs something it lacks (IPVS) and a user-mode Linux
// kernel has it.
const (
	// NodeKernelHost runs nodes on the machine's own kernel (netns
	// nodes, kind containers).
	NodeKernelHost NodeKernel = "host"
	// NodeKernelUML runs each worker as a user-mode Linux guest joined to
	// the lab's fabric (netns backend only).
	NodeKernelUML NodeKernel = "uml"
)

// NodeKernels lists every node kernel in a stable order.
var NodeKernels = []NodeKernel{NodeKernelHost, NodeKernelUML}

// Workload is a Deployment plus, optionally, a Service in front of it.
type Workload struct {
	Name      string   `yaml:"name"`
	Namespace string   `yaml:"namespace,omitempty"`
	Image     string   `yaml:"image,omitempty"`
	Replicas  *int32   `yaml:"replicas,omitempty"`
	Service   *Service `yaml:"service,omitempty"`
}

// Service is the Service in front of a workload.
type Service struct {
	Type                  string `yaml:"type,omitempty"`
	Ports                 []Port `yaml:"ports,omitempty"`
	ExternalTrafficPolicy string `yaml:"externalTrafficPolicy,omitempty"`
	IPFamilyPolicy        string `yaml:"ipFamilyPolicy,omitempty"`
	Pool                  string `yaml:"pool,omitempty"`
	// LoadBalancerClass is spec.loadBalancerClass: empty for
	// controller.type, or one of controller.classes.
	LoadBalancerClass        string   `yaml:"loadBalancerClass,omitempty"`
	LoadBalancerSourceRanges []string `yaml:"loadBalancerSourceRanges,omitempty"`
}

// Port is one Service port.
type Port struct {
	Port       int32  `yaml:"port"`
	TargetPort int32  `yaml:"targetPort,omitempty"`
	Protocol   string `yaml:"protocol,omitempty"`
}

// Prefixes returns the lab's node subnets in family order (IPv4 first).
// It is valid only on a validated topology whose subnets are set.
func (n Network) Prefixes() []netip.Prefix {
	return parsePrefixes(n.IPv4Subnet, n.IPv6Subnet)
}

// PodPrefixes returns the pod subnets in family order.
func (n Network) PodPrefixes() []netip.Prefix {
	return parsePrefixes(n.IPv4PodSubnet, n.IPv6PodSubnet)
}

// ServicePrefixes returns the service subnets in family order.
func (n Network) ServicePrefixes() []netip.Prefix {
	return parsePrefixes(n.IPv4ServiceSubnet, n.IPv6ServiceSubnet)
}

// ClientPrefixes returns the client-link subnets in family order.
func (n Network) ClientPrefixes() []netip.Prefix {
	return parsePrefixes(n.IPv4ClientSubnet, n.IPv6ClientSubnet)
}

func parsePrefixes(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}
