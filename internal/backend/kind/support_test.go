package kind

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/netaddr"
	"github.com/lblab/lblab/internal/topology"
)

func TestBadNodeLabels(t *testing.T) {
	topo := loadTopology(t, "bgp-ecmp", topology.DataplaneIPTables)
	topo.Nodes.List[1].Labels = map[string]string{
		"node.kubernetes.io/exclude-from-external-load-balancers": "true", // allowed
		"topology.kubernetes.io/zone":                             "a",    // allowed
		"example.com/rack":                                        "r1",   // allowed
		"node-role.kubernetes.io/edge":                            "",     // refused
		"kubernetes.io/foo":                                       "x",    // refused
	}
	bad := badNodeLabels(topo)
	if len(bad) != 2 || !strings.Contains(bad[0], "nodes[1].labels: kubernetes.io/foo") ||
		!strings.Contains(bad[1], "node-role.kubernetes.io/edge") {
		t.Errorf("bad labels = %q", bad)
	}
}

func TestNetworkProblems(t *testing.T) {
	kindNet := []netip.Prefix{netip.MustParsePrefix("172.18.0.0/16"), netip.MustParsePrefix("fc00:f853:ccd:e793::/64")}
	tests := []struct {
		name    string
		topo    string
		edit    func(*topology.Topology)
		subnets []netip.Prefix
		want    []string // one substring per problem
	}{
		{"fits", "bgp-ecmp-dual", nil, kindNet, nil},
		{"pool overlaps", "bgp-ecmp", func(t *topology.Topology) {
			t.Controller.Pools[0].Addresses = []string{"172.18.255.0-172.18.255.9"}
		}, kindNet, []string{`pool "default" (controller.pools[].addresses[0] 172.18.255.0-172.18.255.9) overlaps the Docker network "kind" subnet 172.18.0.0/16`}},
		{"v6 pool overlaps", "bgp-ecmp-dual", func(t *topology.Topology) {
			t.Controller.Pools[0].Addresses[1] = "fc00:f853:ccd:e793::1000/120"
		}, kindNet, []string{"overlaps the Docker network \"kind\" subnet fc00:f853:ccd:e793::/64"}},
		{"pod subnet overlaps", "bgp-ecmp", func(t *topology.Topology) { t.Network.IPv4PodSubnet = "172.16.0.0/12" },
			kindNet, []string{"the pod subnet 172.16.0.0/12 overlaps"}},
		{"no IPv6 on the network", "bgp-ecmp-dual", nil, kindNet[:1], []string{`has no IPv6 subnet`}},
		{"subnet set in the topology", "bgp-ecmp", func(t *topology.Topology) { t.Network.IPv4Subnet = "10.89.0.0/24" },
			kindNet, []string{"network.ipv4Subnet: 10.89.0.0/24 is not the subnet of the Docker network"}},
		{"subnet equal to the network's", "bgp-ecmp", func(t *topology.Topology) { t.Network.IPv4Subnet = "172.18.0.0/16" },
			kindNet, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topo := loadTopology(t, tt.topo, topology.DataplaneIPTables)
			if tt.edit != nil {
				tt.edit(topo)
			}
			got := networkProblems(topo, "kind", tt.subnets)
			if len(got) != len(tt.want) {
				t.Fatalf("problems = %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q\nwant it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestCovering(t *testing.T) {
	for in, want := range map[string]string{
		"198.51.100.0/24":           "198.51.100.0/24",
		"203.0.113.10-203.0.113.19": "203.0.113.0/27",
		"2001:db8:100::/120":        "2001:db8:100::/120",
		"10.0.0.5":                  "10.0.0.5/32",
	} {
		r, err := netaddr.ParseRange(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := covering(r).String(); got != want {
			t.Errorf("covering(%s) = %s, want %s", in, got, want)
		}
	}
}

type netipPrefix = netip.Prefix

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
