package main

import (
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/lblab/lblab/internal/topology"
)

// object is one Kubernetes object as YAML-ready values.
type object map[string]any

func meta(kind, apiVersion, name string) object {
	return object{"apiVersion": apiVersion, "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": Namespace, "labels": map[string]any{"app.kubernetes.io/managed-by": "lblab-hack-metallb"}}}
}

// config is MetalLB's configuration for a lab: one IPAddressPool per
// topology pool (same addresses, autoAssign and avoidBuggyIPs), a BGPPeer
// for the TOR (host 1 of the IPv4 node subnet, as the netns backend lays
// it out) with the topology's ASNs and hold time, and a BGPAdvertisement
// of every pool to every peer.
//
// MetalLB's native BGP mode refuses IPv6 pools ("native bgp mode does not
// support ipv6") and a keepalive time (it sends keepalives every third of
// the hold time, which is the topology's default 3 s of 9 s); IPv6 needs
// its FRR mode, which needs FRR in the nodes. So IPv6 is refused here.
func config(t *topology.Topology) ([]object, error) {
	if t.Controller.Mode != "" && t.Controller.Mode != "bgp" {
		return nil, fmt.Errorf("controller.mode %q: only bgp is installed here", t.Controller.Mode)
	}
	if len(t.Controller.Pools) == 0 {
		return nil, fmt.Errorf("controller.pools is empty: MetalLB needs a pool")
	}
	if t.Network.IPFamily != "" && t.Network.IPFamily != "ipv4" {
		return nil, fmt.Errorf("network.ipFamily %q: MetalLB's native BGP mode announces IPv4 only (its FRR mode, which does IPv6, needs FRR in the nodes); use an ipv4 topology such as bgp-ecmp", t.Network.IPFamily)
	}
	var out []object
	for _, p := range t.Controller.Pools {
		o := meta("IPAddressPool", "metallb.io/v1beta1", p.Name)
		spec := map[string]any{"addresses": p.Addresses}
		if p.AutoAssign != nil {
			spec["autoAssign"] = *p.AutoAssign
		}
		if p.AvoidBuggyIPs {
			spec["avoidBuggyIPs"] = true
		}
		o["spec"] = spec
		out = append(out, o)
	}
	prefixes := t.Network.Prefixes()
	if len(prefixes) == 0 {
		return nil, fmt.Errorf("the lab's topology has no IPv4 node subnet (network.ipv4Subnet)")
	}
	for _, p := range prefixes {
		if !p.Addr().Is4() {
			continue
		}
		o := meta("BGPPeer", "metallb.io/v1beta2", "tor")
		spec := map[string]any{"peerAddress": p.Masked().Addr().Next().String(), "peerASN": t.TOR.ASN, "myASN": t.Controller.ASN}
		if t.TOR.HoldTime > 0 {
			spec["holdTime"] = fmt.Sprintf("%ds", t.TOR.HoldTime)
		}
		o["spec"] = spec
		out = append(out, o)
	}
	adv := meta("BGPAdvertisement", "metallb.io/v1beta1", "lblab")
	adv["spec"] = map[string]any{} // every pool, to every peer, /32 and /128
	return append(out, adv), nil
}

// configYAML is config as one multi-document YAML stream.
func configYAML(t *topology.Topology) (string, error) {
	objs, err := config(t)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, o := range objs {
		data, err := yaml.Marshal(o)
		if err != nil {
			return "", err
		}
		b.WriteString("---\n")
		b.Write(data)
	}
	return b.String(), nil
}
