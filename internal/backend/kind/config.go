package kind

import (
	"fmt"
	"net/netip"
	"strings"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"

	"github.com/lblab/lblab/internal/topology"
)

// kindConfig is the kind cluster for a topology: one kind node per
// topology node, in order (kind names them <lab>-control-plane,
// <lab>-worker, <lab>-worker2, ...), with the topology's node labels, IP
// family, pod and service subnets and the data plane's kube-proxy mode.
func kindConfig(t *topology.Topology) *v1alpha4.Cluster {
	c := &v1alpha4.Cluster{
		TypeMeta: v1alpha4.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"},
		Name:     t.Name,
	}
	for _, n := range t.Nodes.List {
		kn := v1alpha4.Node{Role: v1alpha4.WorkerRole, Image: nodeImage, Labels: n.Labels}
		if n.Role == topology.RoleControlPlane {
			kn.Role = v1alpha4.ControlPlaneRole
		}
		c.Nodes = append(c.Nodes, kn)
	}
	net := &c.Networking
	switch t.Network.IPFamily {
	case topology.IPv6:
		net.IPFamily = v1alpha4.IPv6Family
	case topology.Dual:
		net.IPFamily = v1alpha4.DualStackFamily
	default:
		net.IPFamily = v1alpha4.IPv4Family
	}
	net.PodSubnet = joinPrefixes(t.Network.PodPrefixes())
	net.ServiceSubnet = joinPrefixes(t.Network.ServicePrefixes())
	switch t.Dataplane {
	case topology.DataplaneEBPF:
		// Cilium replaces both kindnet and kube-proxy.
		net.KubeProxyMode = "none"
		net.DisableDefaultCNI = true
	case topology.DataplaneIPVS:
		net.KubeProxyMode = v1alpha4.IPVSProxyMode
	case topology.DataplaneNFTables:
		net.KubeProxyMode = v1alpha4.NFTablesProxyMode
	default:
		net.KubeProxyMode = v1alpha4.IPTablesProxyMode
	}
	return c
}

// marshalConfig renders a kind config as the YAML `kind create cluster
// --config` reads.
func marshalConfig(c *v1alpha4.Cluster) ([]byte, error) {
	data, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("failed to marshal the kind config: %w", err)
	}
	return data, nil
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// kindNodeNames are the container (and Kubernetes node) names kind gives
// the topology's nodes, in topology order.
func kindNodeNames(t *topology.Topology) []string {
	var out []string
	count := map[topology.Role]int{}
	for _, n := range t.Nodes.List {
		role := "worker"
		if n.Role == topology.RoleControlPlane {
			role = "control-plane"
		}
		count[n.Role]++
		name := t.Name + "-" + role
		if i := count[n.Role]; i > 1 {
			name = fmt.Sprintf("%s%d", name, i)
		}
		out = append(out, name)
	}
	return out
}
