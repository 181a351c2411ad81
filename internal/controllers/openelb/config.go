package openelb

import (
	"fmt"
	"net/netip"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/internal/netaddr"
	"github.com/lblab/lblab/internal/topology"
)

// Namespace is where OpenELB's own manifests put it.
const Namespace = "openelb-system"

// Label marks the configuration objects Config makes (the topology's
// name), as install.Label does for the bundled controller's.
const Label = install.Label

// The Service annotations OpenELB v0.5.0 reads: a LoadBalancer Service is
// its only with AnnotationLB (its webhook, which would add it, is not
// registered), AnnotationEip names the pool, AnnotationProtocol the
// speaker.
const (
	AnnotationLB       = "lb.kubesphere.io/v1alpha1"
	AnnotationEip      = "eip.openelb.kubesphere.io/v1alpha2"
	AnnotationProtocol = "protocol.openelb.kubesphere.io/v1alpha1"
)

// Annotations are the annotations that make a LoadBalancer Service
// OpenELB's, in BGP mode, from the Eip of pool ("" = OpenELB chooses).
func Annotations(pool string) map[string]string {
	a := map[string]string{AnnotationLB: "openelb", AnnotationProtocol: "bgp"}
	if pool != "" {
		a[AnnotationEip] = pool
	}
	return a
}

// Kinds are the resources of OpenELB's kinds that Config writes (all
// cluster-scoped).
var Kinds = map[schema.GroupVersionKind]install.Resource{
	{Group: "network.kubesphere.io", Version: "v1alpha2", Kind: "Eip"}:     {Name: "eips"},
	{Group: "network.kubesphere.io", Version: "v1alpha2", Kind: "BgpConf"}: {Name: "bgpconfs"},
	{Group: "network.kubesphere.io", Version: "v1alpha2", Kind: "BgpPeer"}: {Name: "bgppeers"},
}

// Check refuses topologies lblab cannot run OpenELB for, naming the field
// and the fix.
func Check(t *topology.Topology) error {
	switch {
	case t.Controller.Mode != topology.ModeBGP:
		return fmt.Errorf("controller.mode %q: lblab runs OpenELB in BGP mode only (its layer2 mode, which answers ARP from one elected manager, has not been tried); use mode bgp, or --controller lblab for L2", t.Controller.Mode)
	case t.TOR.BFD != nil:
		return fmt.Errorf("tor.bfd: OpenELB's embedded GoBGP has no BFD; remove tor.bfd, or use --controller lblab")
	case t.Network.IPFamily != topology.IPv4:
		return fmt.Errorf("network.ipFamily %s: lblab runs OpenELB with IPv4 only (IPv6 not tried); use an ipv4 topology such as bgp-ecmp, or --controller lblab", t.Network.IPFamily)
	}
	for i, p := range t.Controller.Pools {
		if len(p.Addresses) != 1 {
			return fmt.Errorf("controller.pools[%d].addresses: pool %s has %d ranges, but an OpenELB Eip has one and a Service names one Eip; give the pool one range, or split it into pools", i, p.Name, len(p.Addresses))
		}
		if r, err := netaddr.ParseRange(p.Addresses[0]); err != nil || r.Is6() {
			return fmt.Errorf("controller.pools[%d].addresses: %q is not an IPv4 range, which lblab runs OpenELB with; give pool %s an IPv4 range", i, p.Addresses[0], p.Name)
		}
	}
	return nil
}

// Config is OpenELB's configuration for a lab: an Eip per topology pool,
// the BgpConf "default" and a BgpPeer for the TOR's IPv4 address on the
// nodes' network (tor; empty: host 1 of the node subnet, the netns
// layout). Notes say what the topology asks for that OpenELB is not given.
func Config(t *topology.Topology, tor []netip.Addr) (objs []unstructured.Unstructured, notes []string, err error) {
	if err := Check(t); err != nil {
		return nil, nil, err
	}
	peer, err := torV4(t, tor)
	if err != nil {
		return nil, nil, err
	}
	obj := func(kind, name string, spec map[string]any) unstructured.Unstructured {
		return unstructured.Unstructured{Object: map[string]any{"apiVersion": "network.kubesphere.io/v1alpha2", "kind": kind,
			"metadata": map[string]any{"name": name, "labels": map[string]any{Label: t.Name}},
			"spec":     spec}}
	}
	for _, p := range t.Controller.Pools {
		addr, err := install.PoolAddress(p.Addresses[0])
		if err != nil {
			return nil, nil, fmt.Errorf("pool %s: %w", p.Name, err)
		}
		objs = append(objs, obj("Eip", p.Name, map[string]any{"address": addr, "protocol": "bgp"}))
		if p.AutoAssign != nil && !*p.AutoAssign {
			notes = append(notes, fmt.Sprintf("pool %s: OpenELB has no autoAssign; a Service that names no pool may be given an address of this one", p.Name))
		}
		if p.AvoidBuggyIPs {
			notes = append(notes, fmt.Sprintf("pool %s: OpenELB has no avoidBuggyIPs; it may hand out .0 and .255", p.Name))
		}
	}
	// listenPort -1: no listener on :179, the manager dials the TOR.
	objs = append(objs, obj("BgpConf", "default", map[string]any{"as": int64(t.Controller.ASN), "listenPort": int64(-1)}))
	spec := map[string]any{"conf": map[string]any{"peerAs": int64(t.TOR.ASN), "neighborAddress": peer.String()}}
	timers := map[string]any{}
	if t.TOR.HoldTime > 0 {
		timers["holdTime"] = fmt.Sprint(t.TOR.HoldTime)
	}
	if t.TOR.KeepaliveTime > 0 {
		timers["keepaliveInterval"] = fmt.Sprint(t.TOR.KeepaliveTime)
	}
	if len(timers) > 0 {
		spec["timers"] = map[string]any{"config": timers}
	}
	objs = append(objs, obj("BgpPeer", "tor", spec))
	return objs, notes, nil
}

// torV4 returns the TOR's IPv4 address to peer with.
func torV4(t *topology.Topology, tor []netip.Addr) (netip.Addr, error) {
	if len(tor) == 0 {
		for _, p := range t.Network.Prefixes() {
			if a, ok := netaddr.Nth(p, 1); ok {
				tor = append(tor, a)
			}
		}
	}
	for _, a := range tor {
		if a.Is4() {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("the TOR has no IPv4 address on the nodes' network to peer with (network.ipv4Subnet); bring the lab up first")
}
