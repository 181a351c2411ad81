package topology

import (
	"fmt"
	"slices"
)

// Default values. Node subnets have no default here: lblab picks free ones
// when the lab comes up (see the lab package).
const (
	DefaultTORASN            = 64496
	DefaultNodeASN           = 64500
	DefaultMaximumPaths      = 64
	DefaultKeepaliveTime     = 3
	DefaultHoldTime          = 9
	DefaultBFDInterval       = 300 // ms
	DefaultBFDMultiplier     = 3
	DefaultIPv4PodSubnet     = "10.244.0.0/16"
	DefaultIPv6PodSubnet     = "fd00:10:244::/56"
	DefaultIPv4ServiceSubnet = "10.96.0.0/16"
	DefaultIPv6ServiceSubnet = "fd00:10:96::/112"
	DefaultIPv4ClientSubnet  = "192.0.2.0/24"
	DefaultIPv6ClientSubnet  = "2001:db8:c::/64"
	DefaultIPv4Pool          = "198.51.100.0/24"
	DefaultIPv6Pool          = "2001:db8:100::/120"
	DefaultImage             = "nginx"
)

// SetDefaults fills every unset field. It is idempotent.
func SetDefaults(t *Topology) {
	if len(t.Nodes.List) == 0 {
		t.Nodes.List = []Node{{Role: RoleControlPlane}, {Role: RoleWorker}, {Role: RoleWorker}, {Role: RoleWorker}}
	}
	nameNodes(t.Nodes.List)

	n := &t.Network
	if n.IPFamily == "" {
		n.IPFamily = IPv4
	}
	if n.IPFamily.HasV4() {
		setIfEmpty(&n.IPv4PodSubnet, DefaultIPv4PodSubnet)
		setIfEmpty(&n.IPv4ServiceSubnet, DefaultIPv4ServiceSubnet)
		setIfEmpty(&n.IPv4ClientSubnet, DefaultIPv4ClientSubnet)
	}
	if n.IPFamily.HasV6() {
		setIfEmpty(&n.IPv6PodSubnet, DefaultIPv6PodSubnet)
		setIfEmpty(&n.IPv6ServiceSubnet, DefaultIPv6ServiceSubnet)
		setIfEmpty(&n.IPv6ClientSubnet, DefaultIPv6ClientSubnet)
	}

	r := &t.TOR
	setIfZero(&r.ASN, DefaultTORASN)
	setIfZero(&r.MaximumPaths, DefaultMaximumPaths)
	setIfZero(&r.KeepaliveTime, DefaultKeepaliveTime)
	setIfZero(&r.HoldTime, DefaultHoldTime)
	if b := r.BFD; b != nil {
		setIfZero(&b.TransmitInterval, DefaultBFDInterval)
		setIfZero(&b.ReceiveInterval, DefaultBFDInterval)
		setIfZero(&b.DetectMultiplier, DefaultBFDMultiplier)
	}

	c := &t.Controller
	if c.Type == "" {
		c.Type = ControllerLBLab
	}
	if c.Mode == "" {
		c.Mode = ModeBGP
	}
	setIfZero(&c.ASN, DefaultNodeASN)
	if len(c.Pools) == 0 && c.Mode == ModeL2 {
		c.Pools = l2DefaultPools(n)
	}
	if len(c.Pools) == 0 && c.Mode != ModeL2 {
		p := Pool{Name: "default"}
		if n.IPFamily.HasV4() {
			p.Addresses = append(p.Addresses, DefaultIPv4Pool)
		}
		if n.IPFamily.HasV6() {
			p.Addresses = append(p.Addresses, DefaultIPv6Pool)
		}
		c.Pools = []Pool{p}
	}
	defaultAutoAssign(c.Pools)
	for i := range c.Classes {
		defaultAutoAssign(c.Classes[i].Pools)
	}

	if t.ExternalLB != nil {
		setExternalLBDefaults(t.ExternalLB, n.IPFamily)
	}
	if t.ControlPlane != nil {
		setControlPlaneDefaults(t.ControlPlane, n, c.Mode)
	}
	if t.Dataplane == "" {
		t.Dataplane = DataplaneIPTables
	}
	for i := range t.Workloads {
		setWorkloadDefaults(&t.Workloads[i], n.IPFamily)
	}
	if len(t.Scenarios) == 0 {
		t.Scenarios = slices.Clone(ScenarioNames)
	}
}

func setWorkloadDefaults(w *Workload, fam IPFamily) {
	setIfEmpty(&w.Namespace, "default")
	setIfEmpty(&w.Image, DefaultImage)
	if w.Replicas == nil {
		one := int32(1)
		w.Replicas = &one
	}
	s := w.Service
	if s == nil {
		return
	}
	setIfEmpty(&s.Type, "LoadBalancer")
	if len(s.Ports) == 0 {
		s.Ports = []Port{{Port: 80}}
	}
	for i := range s.Ports {
		setIfZero(&s.Ports[i].TargetPort, s.Ports[i].Port)
		setIfEmpty(&s.Ports[i].Protocol, "TCP")
	}
	setIfEmpty(&s.ExternalTrafficPolicy, "Cluster")
	if fam == Dual {
		setIfEmpty(&s.IPFamilyPolicy, "PreferDualStack")
	} else {
		setIfEmpty(&s.IPFamilyPolicy, "SingleStack")
	}
}

// nameNodes names unnamed nodes the way kind does for the control plane
// ("control-plane", "control-plane2") and the seed lab does for workers
// ("node1", "node2", ...), skipping names already taken.
func nameNodes(list []Node) {
	taken := map[string]bool{}
	for _, n := range list {
		taken[n.Name] = true
	}
	counter := map[Role]int{}
	for i := range list {
		if list[i].Role == "" {
			list[i].Role = RoleWorker
		}
		if list[i].Name != "" {
			continue
		}
		for {
			counter[list[i].Role]++
			name := nodeName(list[i].Role, counter[list[i].Role])
			if !taken[name] {
				list[i].Name, taken[name] = name, true
				break
			}
		}
	}
}

func nodeName(r Role, i int) string {
	if r == RoleControlPlane {
		if i == 1 {
			return "control-plane"
		}
		return fmt.Sprintf("control-plane%d", i)
	}
	return fmt.Sprintf("node%d", i)
}

func setIfEmpty(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

func setIfZero[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// defaultAutoAssign makes pools without autoAssign assign automatically.
func defaultAutoAssign(pools []Pool) {
	for i := range pools {
		if pools[i].AutoAssign == nil {
			yes := true
			pools[i].AutoAssign = &yes
		}
	}
}
