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
// topology pool (same addresses, autoAssign and avoidBuggyIPs), one
// BGPPeer per address family of the TOR (its host-1 address on the node
// subnet, as the netns backend lays it out) with the topology's ASNs and
// timers, and a BGPAdvertisement of every pool to every peer.
func config(t *topology.Topology) ([]object, error) {
	if t.Controller.Mode != "" && t.Controller.Mode != "bgp" {
		return nil, fmt.Errorf("controller.mode %q: only bgp is installed here", t.Controller.Mode)
	}
	if len(t.Controller.Pools) == 0 {
		return nil, fmt.Errorf("controller.pools is empty: MetalLB needs a pool")
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
		return nil, fmt.Errorf("the lab's topology has no node subnet (network.ipv4Subnet/ipv6Subnet)")
	}
	for _, p := range prefixes {
		tor := p.Masked().Addr().Next()
		family := "ipv4"
		if tor.Is6() {
			family = "ipv6"
		}
		o := meta("BGPPeer", "metallb.io/v1beta2", "tor-"+family)
		spec := map[string]any{"peerAddress": tor.String(), "peerASN": t.TOR.ASN, "myASN": t.Controller.ASN}
		if t.TOR.HoldTime > 0 {
			spec["holdTime"] = fmt.Sprintf("%ds", t.TOR.HoldTime)
		}
		if t.TOR.KeepaliveTime > 0 {
			spec["keepaliveTime"] = fmt.Sprintf("%ds", t.TOR.KeepaliveTime)
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
