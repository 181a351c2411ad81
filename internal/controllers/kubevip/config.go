package kubevip

import (
	"fmt"
	"net/netip"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/internal/netaddr"
	"github.com/lblab/lblab/internal/topology"
)

// Namespace is where kube-vip's and its cloud provider's manifests put
// them, and where the cloud provider reads its ConfigMap.
const Namespace = "kube-system"

// ConfigMap is the cloud provider's configuration object.
const ConfigMap = "kubevip"

// Check refuses topologies lblab cannot run kube-vip for, naming the
// field and the fix.
func Check(t *topology.Topology) error {
	switch {
	case t.Controller.Mode != topology.ModeBGP && t.Controller.Mode != topology.ModeL2:
		return fmt.Errorf("controller.mode %q: kube-vip runs in bgp or l2 (ARP) mode", t.Controller.Mode)
	case t.TOR.BFD != nil && t.Controller.Mode == topology.ModeBGP:
		return fmt.Errorf("tor.bfd: kube-vip has no BFD; remove tor.bfd, or use --controller lblab")
	case t.Network.IPFamily != topology.IPv4:
		return fmt.Errorf("network.ipFamily %s: lblab runs kube-vip with IPv4 only (IPv6 not tried); use an ipv4 topology such as bgp-ecmp, or --controller lblab", t.Network.IPFamily)
	}
	if len(t.Controller.Pools) == 0 && t.Controller.Mode == topology.ModeL2 {
		return nil // the L2 pool comes from the node subnet, chosen at up
	}
	if _, _, err := ranges(t); err != nil {
		return err
	}
	return nil
}

// ranges returns the cloud provider's range-global: every IPv4 range of
// the pools kube-vip can serve (autoAssign ones), as a-b ranges, and notes
// on the pools left out.
func ranges(t *topology.Topology) (string, []string, error) {
	var out, notes []string
	for _, p := range t.Controller.Pools {
		if p.AutoAssign != nil && !*p.AutoAssign {
			notes = append(notes, fmt.Sprintf("pool %s: left out, it is not auto-assigned and kube-vip-cloud-provider cannot be asked for a pool by name", p.Name))
			continue
		}
		for _, a := range p.Addresses {
			r, err := netaddr.ParseRange(a)
			if err != nil || r.Is6() {
				continue
			}
			out = append(out, rangeString(r))
		}
	}
	if len(out) == 0 {
		return "", nil, fmt.Errorf("controller.pools: no auto-assigned pool has an IPv4 range for kube-vip-cloud-provider")
	}
	return strings.Join(out, ","), notes, nil
}

func rangeString(r netaddr.Range) string {
	return r.From.String() + "-" + r.To.String()
}

// Config is the cloud provider's ConfigMap for the topology, and notes on
// what the topology asks for that kube-vip is not given.
func Config(t *topology.Topology) ([]unstructured.Unstructured, []string, error) {
	if err := Check(t); err != nil {
		return nil, nil, err
	}
	rg, notes, err := ranges(t)
	if err != nil {
		return nil, nil, err
	}
	cm := unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": ConfigMap, "namespace": Namespace, "labels": map[string]any{install.Label: t.Name}},
		"data":     map[string]any{"range-global": rg}}}
	return []unstructured.Unstructured{cm}, notes, nil
}

// env is kube-vip's environment on a node (its settings come from
// environment variables, which override its flags).
func env(t *topology.Topology, node netip.Addr, name string, tor netip.Addr) []string {
	if t.Controller.Mode == topology.ModeL2 {
		// ARP: a leader per Service (a Lease each) puts the LB IP on the
		// fabric interface and announces it with gratuitous ARP.
		return []string{
			"svc_enable=true", "bgp_enable=false", "vip_arp=true", "svc_election=true",
			"vip_interface=eth0", "vip_nodename=" + name,
			// Upstream's defaults (5 s, 3 s, 1 s), written down.
			"vip_leaseduration=5", "vip_renewdeadline=3", "vip_retryperiod=1",
			"prometheus_server=" + netip.AddrPortFrom(node, MetricsPort).String(),
		}
	}
	e := []string{
		"svc_enable=true", "bgp_enable=true", "vip_arp=false", "svc_election=false",
		"vip_interface=lo", "vip_nodename=" + name,
		"bgp_routerid=" + node.String(), fmt.Sprintf("bgp_as=%d", t.Controller.ASN),
		// address:AS:password:multihop
		fmt.Sprintf("bgp_peers=%s:%d::false", tor, t.TOR.ASN),
		"prometheus_server=" + netip.AddrPortFrom(node, MetricsPort).String(),
	}
	if t.TOR.HoldTime > 0 {
		e = append(e, fmt.Sprintf("bgp_hold_time=%d", t.TOR.HoldTime))
	}
	if t.TOR.KeepaliveTime > 0 {
		e = append(e, fmt.Sprintf("bgp_keepalive_interval=%d", t.TOR.KeepaliveTime))
	}
	return e
}
