package metallb

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/internal/netaddr"
	"github.com/lblab/lblab/internal/topology"
)

// Namespace is where MetalLB's own manifests put it.
const Namespace = "metallb-system"

// AnnotationAddressPool asks MetalLB for a Service's pool by name.
const AnnotationAddressPool = "metallb.io/address-pool"

// Label marks the configuration objects Config makes (the topology's
// name), as install.Label does for the bundled controller's.
const Label = install.Label

// Kinds are the resources of MetalLB's kinds that Config writes.
var Kinds = map[schema.GroupVersionKind]install.Resource{
	{Group: "metallb.io", Version: "v1beta1", Kind: "IPAddressPool"}:    {Name: "ipaddresspools", Namespaced: true},
	{Group: "metallb.io", Version: "v1beta2", Kind: "BGPPeer"}:          {Name: "bgppeers", Namespaced: true},
	{Group: "metallb.io", Version: "v1beta1", Kind: "BGPAdvertisement"}: {Name: "bgpadvertisements", Namespaced: true},
	{Group: "metallb.io", Version: "v1beta1", Kind: "L2Advertisement"}:  {Name: "l2advertisements", Namespaced: true},
}

// Support says what MetalLB in native BGP mode can do for a topology,
// so that Config and the checks agree on it.
type Support struct {
	// IPv6 is false: native mode refuses to advertise IPv6 pools.
	IPv6 bool
	// Reason is why, for messages and skipped checks.
	Reason string
}

// NativeSupport is what MetalLB's native BGP mode supports.
var NativeSupport = Support{IPv6: false,
	Reason: "MetalLB " + "native BGP mode announces IPv4 only (its FRR mode announces IPv6 and needs FRR in every node)"}

// Check refuses topologies MetalLB in native BGP mode cannot serve, naming
// the field and the fix.
func Check(t *topology.Topology) error {
	if t.Controller.Mode == topology.ModeL2 {
		return nil // L2 mode: IPv4 and IPv6 (ARP and NDP), no sessions
	}
	if t.TOR.BFD != nil {
		return fmt.Errorf("tor.bfd: MetalLB's native BGP mode has no BFD (its FRR mode has); remove tor.bfd, or use --controller lblab")
	}
	if !t.Network.IPFamily.HasV4() {
		return fmt.Errorf("network.ipFamily %s: %s; use an ipv4 or dual topology (e.g. bgp-ecmp), or --controller lblab", t.Network.IPFamily, NativeSupport.Reason)
	}
	if len(v4Pools(t)) == 0 {
		return fmt.Errorf("controller.pools: no pool has an IPv4 range, and %s", NativeSupport.Reason)
	}
	return nil
}

// pool is a topology pool's IPv4 ranges, as MetalLB writes them.
type pool struct {
	topology.Pool
	addrs   []string
	dropped []string // IPv6 ranges left out
}

// v4Pools returns the pools MetalLB is given: in BGP mode their IPv4
// ranges (native mode announces no IPv6), in L2 mode all of them.
func v4Pools(t *topology.Topology) []pool {
	var out []pool
	for _, p := range t.Controller.Pools {
		mp := pool{Pool: p}
		for _, a := range p.Addresses {
			r, err := netaddr.ParseRange(a)
			if err != nil {
				continue
			}
			if r.Is6() && t.Controller.Mode == topology.ModeBGP {
				mp.dropped = append(mp.dropped, a)
				continue
			}
			if s, err := install.PoolAddress(a); err == nil {
				mp.addrs = append(mp.addrs, s)
			}
		}
		if len(mp.addrs) > 0 {
			out = append(out, mp)
		}
	}
	return out
}

// Config is MetalLB's configuration for a lab: an IPAddressPool per
// topology pool (its IPv4 ranges, autoAssign and avoidBuggyIPs), a BGPPeer
// per IPv4 address of the TOR on the nodes' network (tor; empty: host 1
// of the IPv4 node subnet, the netns layout) with the topology's ASNs and
// hold time, and one BGPAdvertisement of every pool. Notes say what the
// topology asks for that MetalLB is not given, and why.
func Config(t *topology.Topology, tor []netip.Addr) (objs []unstructured.Unstructured, notes []string, err error) {
	if err := Check(t); err != nil {
		return nil, nil, err
	}
	obj := func(apiVersion, kind, name string, spec map[string]any) unstructured.Unstructured {
		return unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind,
			"metadata": map[string]any{"name": name, "namespace": Namespace, "labels": map[string]any{Label: t.Name}},
			"spec":     spec}}
	}
	var names []string
	for _, p := range v4Pools(t) {
		addrs := make([]any, len(p.addrs)) // unstructured content holds []any only
		for i, a := range p.addrs {
			addrs[i] = a
		}
		spec := map[string]any{"addresses": addrs, "autoAssign": p.AutoAssign == nil || *p.AutoAssign}
		if p.AvoidBuggyIPs {
			spec["avoidBuggyIPs"] = true
		}
		objs = append(objs, obj("metallb.io/v1beta1", "IPAddressPool", p.Name, spec))
		names = append(names, p.Name)
		if len(p.dropped) > 0 {
			notes = append(notes, fmt.Sprintf("pool %s: %s left out (%s)", p.Name, strings.Join(p.dropped, ", "), NativeSupport.Reason))
		}
	}
	for _, p := range t.Controller.Pools {
		if !slices.Contains(names, p.Name) {
			notes = append(notes, fmt.Sprintf("pool %s: left out, it has no IPv4 range (%s)", p.Name, NativeSupport.Reason))
		}
	}
	if t.Controller.Mode == topology.ModeL2 {
		// Every pool, answered for by ARP and NDP on every interface.
		objs = append(objs, obj("metallb.io/v1beta1", "L2Advertisement", "lblab", map[string]any{}))
		return objs, notes, nil
	}
	peers, err := torV4(t, tor)
	if err != nil {
		return nil, nil, err
	}
	for i, a := range peers {
		spec := map[string]any{"peerAddress": a.String(), "peerASN": int64(t.TOR.ASN), "myASN": int64(t.Controller.ASN)}
		if t.TOR.HoldTime > 0 {
			spec["holdTime"] = fmt.Sprintf("%ds", t.TOR.HoldTime)
		}
		name := "tor"
		if i > 0 {
			name = fmt.Sprintf("tor-%d", i)
		}
		objs = append(objs, obj("metallb.io/v1beta2", "BGPPeer", name, spec))
	}
	// Every pool, to every peer, as the bundled controller's
	// BGPAdvertisement: pools added by hand (the speaker bench's) too.
	objs = append(objs, obj("metallb.io/v1beta1", "BGPAdvertisement", "lblab", map[string]any{}))
	return objs, notes, nil
}

// torV4 returns the TOR's IPv4 addresses to peer with.
func torV4(t *topology.Topology, tor []netip.Addr) ([]netip.Addr, error) {
	if len(tor) == 0 {
		for _, p := range t.Network.Prefixes() {
			if a, ok := netaddr.Nth(p, 1); ok {
				tor = append(tor, a)
			}
		}
	}
	var out []netip.Addr
	for _, a := range tor {
		if a.Is4() {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the TOR has no IPv4 address on the nodes' network to peer with (network.ipv4Subnet); bring the lab up first")
	}
	return out, nil
}
