package topology

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"

	"github.com/lblab/lblab/internal/netaddr"
)

// MaxNameLen bounds lab names: they prefix namespace names and state paths.
const MaxNameLen = 24

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// reservedHosts are host names the lab itself uses.
var reservedHosts = []string{"tor", "client", "fabric", "host", "lb"}

// Validate checks a defaulted topology and returns every problem found.
func Validate(t *Topology) error {
	if list := validate(t, lines{}); len(list) > 0 {
		return &Errors{List: list}
	}
	return nil
}

// subnet is one named address block of the lab, for overlap checks.
type subnet struct {
	path string
	r    netaddr.Range
}

func validate(t *Topology, ln lines) []error {
	e := &errs{lines: ln}
	switch {
	case t.Name == "":
		e.add("name", "required (a DNS label such as bgp-ecmp)")
	case len(t.Name) > MaxNameLen || !dnsLabel.MatchString(t.Name):
		e.add("name", "%q must be a DNS label (lower-case letters, digits, '-') of at most %d characters", t.Name, MaxNameLen)
	}
	validateNodes(e, t.Nodes.List)
	subnets := validateNetwork(e, &t.Network, len(t.Nodes.List), t.FabricAddrsPerNode())
	validateTOR(e, &t.TOR)
	pools := validateController(e, &t.Controller, t.Network.IPFamily, t.TOR.ASN)
	pools = append(pools, validateClasses(e, &t.Controller, t.Network.IPFamily)...)
	onSegment := func(a, b subnet) bool { return false }
	if t.Controller.Mode == ModeL2 {
		onSegment = checkL2Pools(e, &t.Network, pools, len(t.Nodes.List))
	}
	names := map[string]bool{}
	for _, p := range t.Controller.AllPools() {
		names[p.Name] = true
	}
	lbSegs, lbPools := validateExternalLB(e, t, names)
	onL2Segment := onSegment
	onSegment = func(a, b subnet) bool {
		lbPair := slices.Contains(lbSegs, a) && slices.Contains(lbPools, b) || slices.Contains(lbSegs, b) && slices.Contains(lbPools, a)
		return lbPair || onL2Segment(a, b)
	}
	vips := validateControlPlane(e, t)
	checkOverlaps(e, append(append(append(append(subnets, pools...), lbSegs...), lbPools...), vips...), onSegment)
	if !slices.Contains(Dataplanes, t.Dataplane) {
		e.add("dataplane", "%q is not one of iptables, ipvs, nftables, ebpf", t.Dataplane)
	}
	if t.NodeKernel != "" && !slices.Contains(NodeKernels, t.NodeKernel) {
		e.add("nodeKernel", "%q is not one of host, uml (or empty: the backend chooses)", t.NodeKernel)
	}
	validateWorkloads(e, t)
	seen := map[string]bool{}
	for i, s := range t.Scenarios {
		p := fmt.Sprintf("scenarios[%d]", i)
		switch {
		case !slices.Contains(ScenarioNames, s):
			e.add(p, "%q is not a known scenario (known: %v)", s, ScenarioNames)
		case seen[s]:
			e.add(p, "%q is listed twice", s)
		}
		seen[s] = true
	}
	return e.list
}

func validateNodes(e *errs, nodes []Node) {
	var cps, workers int
	seen := map[string]bool{}
	for i, n := range nodes {
		p := fmt.Sprintf("nodes[%d]", i)
		switch n.Role {
		case RoleControlPlane:
			cps++
		case RoleWorker:
			workers++
		default:
			e.add(p+".role", "%q is not control-plane or worker", n.Role)
		}
		switch {
		case len(n.Name) > 32 || !dnsLabel.MatchString(n.Name):
			e.add(p+".name", "%q must be a DNS label of at most 32 characters", n.Name)
		case slices.Contains(reservedHosts, n.Name):
			e.add(p+".name", "%q is reserved for the lab's own hosts (%v)", n.Name, reservedHosts)
		case seen[n.Name]:
			e.add(p+".name", "%q is used by another node", n.Name)
		}
		seen[n.Name] = true
	}
	if cps < 1 {
		e.add("nodes", "want at least 1 control-plane node, have 0")
	}
	if workers < 1 {
		e.add("nodes", "want at least 1 worker node, have %d", workers)
	}
}

func validateNetwork(e *errs, n *Network, nodes, perNode int) []subnet {
	switch n.IPFamily {
	case IPv4, IPv6, Dual:
	default:
		e.add("network.ipFamily", "%q is not one of ipv4, ipv6, dual", n.IPFamily)
		return nil
	}
	var out []subnet
	check := func(field, value string, v6 bool, want bool, minBits, maxBits int, what string) {
		path := "network." + field
		if value == "" {
			return
		}
		if !want {
			e.add(path, "is set, but network.ipFamily is %s", n.IPFamily)
			return
		}
		p, err := netip.ParsePrefix(value)
		if err != nil {
			e.add(path, "%s is not a valid prefix", value)
			return
		}
		if p.Addr().Is6() != v6 {
			e.add(path, "%s is not an %s prefix", value, familyName(v6))
			return
		}
		if p.Bits() < minBits || p.Bits() > maxBits {
			e.add(path, "%s: a %s needs a prefix length between /%d and /%d", value, what, minBits, maxBits)
			return
		}
		out = append(out, subnet{path: path, r: netaddr.PrefixRange(p)})
	}
	// Node subnets: .1 TOR, .2 host, .10 onwards nodes (and then their
	// class controllers' addresses).
	need := bitsFor(nodes*perNode + 10)
	check("ipv4Subnet", n.IPv4Subnet, false, n.IPFamily.HasV4(), 8, 32-need, fmt.Sprintf("node subnet for %d nodes", nodes))
	check("ipv6Subnet", n.IPv6Subnet, true, n.IPFamily.HasV6(), 48, 128-need, fmt.Sprintf("node subnet for %d nodes", nodes))
	// Pod subnets are split into one /24 (IPv4) or /64 (IPv6) per node.
	check("ipv4PodSubnet", n.IPv4PodSubnet, false, n.IPFamily.HasV4(), 24-16, 24-bitsFor(nodes), fmt.Sprintf("pod subnet with a /24 per node for %d nodes", nodes))
	check("ipv6PodSubnet", n.IPv6PodSubnet, true, n.IPFamily.HasV6(), 64-16, 64-bitsFor(nodes), fmt.Sprintf("pod subnet with a /64 per node for %d nodes", nodes))
	check("ipv4ServiceSubnet", n.IPv4ServiceSubnet, false, n.IPFamily.HasV4(), 12, 28, "service subnet")
	check("ipv6ServiceSubnet", n.IPv6ServiceSubnet, true, n.IPFamily.HasV6(), 108, 124, "service subnet")
	check("ipv4ClientSubnet", n.IPv4ClientSubnet, false, n.IPFamily.HasV4(), 8, 30, "client link")
	check("ipv6ClientSubnet", n.IPv6ClientSubnet, true, n.IPFamily.HasV6(), 48, 126, "client link")
	return out
}

// bitsFor returns how many host bits it takes to number n things.
func bitsFor(n int) int {
	b := 0
	for (1 << b) < n {
		b++
	}
	return b
}

func validateTOR(e *errs, r *TOR) {
	if r.RouterID != "" {
		if a, err := netip.ParseAddr(r.RouterID); err != nil || !a.Is4() {
			e.add("tor.routerID", "%q is not an IPv4 address (a BGP router ID is a dotted quad, even on IPv6-only labs)", r.RouterID)
		}
	}
	if r.MaximumPaths < 1 || r.MaximumPaths > 64 {
		e.add("tor.maximumPaths", "%d is not between 1 and 64", r.MaximumPaths)
	}
	if r.HoldTime < 3 || r.HoldTime > 65535 {
		e.add("tor.holdTime", "%ds is not between 3s and 65535s", r.HoldTime)
	}
	if r.KeepaliveTime < 1 || r.KeepaliveTime >= r.HoldTime {
		e.add("tor.keepaliveTime", "%ds must be at least 1s and below tor.holdTime (%ds)", r.KeepaliveTime, r.HoldTime)
	}
	if b := r.BFD; b != nil {
		// FRR's bfdd takes 10-60000 ms and multipliers 2-255.
		for _, f := range []struct {
			field string
			ms    int
		}{{"tor.bfd.transmitInterval", b.TransmitInterval}, {"tor.bfd.receiveInterval", b.ReceiveInterval}} {
			if f.ms < 10 || f.ms > 60000 {
				e.add(f.field, "%dms is not between 10ms and 60000ms", f.ms)
			}
		}
		if b.DetectMultiplier < 2 || b.DetectMultiplier > 255 {
			e.add("tor.bfd.detectMultiplier", "%d is not between 2 and 255", b.DetectMultiplier)
		}
	}
}

func validateController(e *errs, c *Controller, fam IPFamily, torASN uint32) []subnet {
	switch c.Type {
	case ControllerLBLab, ControllerNone, ControllerMetalLB, ControllerKubeVIP, ControllerOpenELB:
	default:
		e.add("controller.type", "%q is not lblab, metallb, kube-vip, openelb or none", c.Type)
	}
	switch c.Mode {
	case ModeBGP, ModeL2:
	default:
		e.add("controller.mode", "%q is not bgp or l2", c.Mode)
	}
	if c.ASN == torASN {
		e.add("controller.asn", "%d is also tor.asn; the nodes peer with the TOR over eBGP, so give them another AS", c.ASN)
	}
	return validatePools(e, "controller.pools", c.Pools, fam, map[string]bool{})
}

// validatePools checks one controller's pools; names holds the pool names
// of the lab seen so far (a workload names its pool, so they are unique
// across controllers).
func validatePools(e *errs, field string, pools []Pool, fam IPFamily, names map[string]bool) []subnet {
	var out []subnet
	for i, p := range pools {
		path := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case len(p.Name) > 63 || !dnsLabel.MatchString(p.Name):
			e.add(path+".name", "%q must be a DNS label", p.Name)
		case names[p.Name]:
			e.add(path+".name", "%q is used by another pool", p.Name)
		}
		names[p.Name] = true
		if len(p.Addresses) == 0 {
			e.add(path+".addresses", "required: at least one CIDR or a-b range")
		}
		for j, a := range p.Addresses {
			ap := fmt.Sprintf("%s.addresses[%d]", path, j)
			r, err := netaddr.ParseRange(a)
			if err != nil {
				e.add(ap, "%v", err)
				continue
			}
			if r.Is6() && !fam.HasV6() || !r.Is6() && !fam.HasV4() {
				e.add(ap, "%s is %s, but network.ipFamily is %s", a, familyName(r.Is6()), fam)
				continue
			}
			out = append(out, subnet{path: ap, r: r})
		}
	}
	return out
}

func familyName(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}

// checkOverlaps reports every pair of lab address blocks that overlap,
// but for the pairs allowed says may.
func checkOverlaps(e *errs, list []subnet, allowed func(a, b subnet) bool) {
	for i := range list {
		for j := i + 1; j < len(list); j++ {
			if list[i].r.Overlaps(list[j].r) && !allowed(list[i], list[j]) {
				e.add(list[j].path, "%s overlaps %s (%s)", list[j].r, list[i].path, list[i].r)
			}
		}
	}
}
