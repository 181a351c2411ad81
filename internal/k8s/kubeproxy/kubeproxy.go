package kubeproxy

import (
	"fmt"
	"net/netip"
	"strings"

	v1alpha1 "k8s.io/kube-proxy/config/v1alpha1"
	"sigs.k8s.io/yaml"
)

// Modes kube-proxy can run in on Linux.
const (
	ModeIPTables = "iptables"
	ModeNFTables = "nftables"
	ModeIPVS     = "ipvs"
)

// HealthzPort is where kube-proxy answers /healthz and /livez on every
// node address.
const HealthzPort = 10256

// Config describes one node's kube-proxy.
type Config struct {
	// Mode is iptables, nftables or ipvs.
	Mode string
	// Kubeconfig is the path of kube-proxy's kubeconfig.
	Kubeconfig string
	// NodeName is the Node object's name (hostnameOverride).
	NodeName string
	// NodeIPs are the node's addresses, primary family first. NodePorts are
	// served on exactly these.
	NodeIPs []netip.Addr
	// ClusterCIDRs are the pod subnets: traffic from them is local.
	ClusterCIDRs []netip.Prefix
	// OwnKernel is set for a node with a kernel of its own (a user-mode
	// Linux guest), where kube-proxy sets nf_conntrack_max as on any
	// machine; a namespace of a shared kernel cannot.
	OwnKernel bool
}

// Render returns the KubeProxyConfiguration YAML.
func Render(c Config) ([]byte, error) {
	switch c.Mode {
	case ModeIPTables, ModeNFTables, ModeIPVS:
	default:
		return nil, fmt.Errorf("kube-proxy mode %q: want iptables, nftables or ipvs", c.Mode)
	}
	if c.NodeName == "" || len(c.NodeIPs) == 0 || len(c.ClusterCIDRs) == 0 || c.Kubeconfig == "" {
		return nil, fmt.Errorf("kube-proxy on %q needs a node name, node IPs, cluster CIDRs and a kubeconfig", c.NodeName)
	}
	var cidrs, nodePorts []string
	for _, p := range c.ClusterCIDRs {
		cidrs = append(cidrs, p.String())
	}
	for _, a := range c.NodeIPs {
		nodePorts = append(nodePorts, netip.PrefixFrom(a, a.BitLen()).String())
	}
	// Only what lblab sets; kube-proxy defaults the rest. The strict decode
	// below checks every field name against the upstream type.
	cfg := map[string]any{
		"apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
		"kind":       "KubeProxyConfiguration",
		"mode":       c.Mode,
		"clientConnection": map[string]any{
			"kubeconfig": c.Kubeconfig,
			"qps":        50,
			"burst":      100,
		},
		"hostnameOverride": c.NodeName,
		// The primary node IP; kube-proxy would otherwise learn it from the
		// Node object, or fall back to loopback when that is slow to appear.
		"bindAddress":        c.NodeIPs[0].String(),
		"healthzBindAddress": listen(c.NodeIPs[0], HealthzPort),
		"metricsBindAddress": listen(loopback(c.NodeIPs[0]), 10249),
		"detectLocalMode":    "ClusterCIDR",
		"clusterCIDR":        strings.Join(cidrs, ","),
		// NodePorts on the node's own addresses only.
		"nodePortAddresses": nodePorts,
	}
	if !c.OwnKernel {
		// nf_conntrack_max is global and read-only inside a namespace:
		// 0 leaves it alone.
		cfg["conntrack"] = map[string]any{"maxPerCore": 0, "min": 0}
	}
	if c.Mode == ModeIPVS {
		cfg["ipvs"] = map[string]any{"scheduler": "rr", "strictARP": true}
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to render kube-proxy's configuration: %w", err)
	}
	var check v1alpha1.KubeProxyConfiguration
	if err := yaml.UnmarshalStrict(out, &check); err != nil {
		return nil, fmt.Errorf("rendered an invalid kube-proxy configuration: %w", err)
	}
	return out, nil
}

// Args is kube-proxy's command line.
func Args(bin, configPath string) []string {
	return []string{bin, "--config=" + configPath}
}

func listen(a netip.Addr, port uint16) string { return netip.AddrPortFrom(a, port).String() }

func loopback(a netip.Addr) netip.Addr {
	if a.Is6() {
		return netip.IPv6Loopback()
	}
	return netip.MustParseAddr("127.0.0.1")
}
