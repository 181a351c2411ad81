package kubeproxy

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/lblab/lblab/internal/testutil/golden"
	v1alpha1 "k8s.io/kube-proxy/config/v1alpha1"
	"sigs.k8s.io/yaml"
)

func TestRender(t *testing.T) {
	v4 := []netip.Addr{netip.MustParseAddr("10.89.0.11")}
	dual := []netip.Addr{netip.MustParseAddr("10.89.0.11"), netip.MustParseAddr("fd00:89::b")}
	pods := []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}
	dualPods := append(pods, netip.MustParsePrefix("fd00:10:244::/56"))
	tests := []struct {
		name string
		c    Config
	}{
		{"iptables", Config{Mode: ModeIPTables, NodeIPs: v4, ClusterCIDRs: pods}},
		{"nftables", Config{Mode: ModeNFTables, NodeIPs: v4, ClusterCIDRs: pods}},
		{"ipvs", Config{Mode: ModeIPVS, NodeIPs: v4, ClusterCIDRs: pods}},
		{"ipvs-dual-uml", Config{Mode: ModeIPVS, NodeIPs: dual, ClusterCIDRs: dualPods, OwnKernel: true}},
		{"iptables-dual", Config{Mode: ModeIPTables, NodeIPs: dual, ClusterCIDRs: dualPods}},
		{"nftables-v6", Config{Mode: ModeNFTables, NodeIPs: dual[1:], ClusterCIDRs: dualPods[1:]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.NodeName, tc.c.Kubeconfig = "node1", "/state/kubeconfigs/kube-proxy.conf"
			got, err := Render(tc.c)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join("testdata", tc.name+".yaml"), got)
			// The semantic points, checked on the decoded object.
			var cfg v1alpha1.KubeProxyConfiguration
			if err := yaml.UnmarshalStrict(got, &cfg); err != nil {
				t.Fatal(err)
			}
			// In a namespace conntrack must be left alone; a guest's own
			// kernel gets kube-proxy's defaults.
			leftAlone := cfg.Conntrack.MaxPerCore != nil && *cfg.Conntrack.MaxPerCore == 0
			if string(cfg.Mode) != tc.c.Mode || cfg.HostnameOverride != "node1" || leftAlone == tc.c.OwnKernel {
				t.Errorf("mode %q hostname %q maxPerCore %v (own kernel %v)", cfg.Mode, cfg.HostnameOverride, cfg.Conntrack.MaxPerCore, tc.c.OwnKernel)
			}
			if cfg.BindAddress != tc.c.NodeIPs[0].String() || len(cfg.NodePortAddresses) != len(tc.c.NodeIPs) {
				t.Errorf("bindAddress %q nodePortAddresses %v", cfg.BindAddress, cfg.NodePortAddresses)
			}
		})
	}
}

func TestRenderRejects(t *testing.T) {
	ok := Config{Mode: ModeIPTables, NodeName: "n", Kubeconfig: "k",
		NodeIPs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}, ClusterCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}}
	for name, mutate := range map[string]func(*Config){
		"ebpf mode": func(c *Config) { c.Mode = "ebpf" },
		"no node":   func(c *Config) { c.NodeName = "" },
		"no IPs":    func(c *Config) { c.NodeIPs = nil },
		"no CIDRs":  func(c *Config) { c.ClusterCIDRs = nil },
	} {
		c := ok
		mutate(&c)
		if _, err := Render(c); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
	if _, err := Render(ok); err != nil {
		t.Error(err)
	}
}
