package scenarios

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/lblab/lblab/internal/netaddr"
)

// The captured tool output the judging tests read lives with the parsers.
func testdata(t *testing.T, pkg, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "internal", pkg, "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

// labCluster is the cluster the captures were taken from: three workers
// and the dual-stack Services web (ETP Cluster) and local (ETP Local,
// endpoints on node1 and node2).
func labCluster() *Cluster {
	ep := func(a, node string) EndpointInfo {
		return EndpointInfo{Addr: netip.MustParseAddr(a), Node: node, Ready: true, Ports: map[string]uint16{"http": 80}}
	}
	return &Cluster{
		Nodes: []NodeInfo{
			{Name: "node1", Addrs: addrs("10.89.0.11", "fd00:89::b"), Ready: true},
			{Name: "node2", Addrs: addrs("10.89.0.12", "fd00:89::c"), Ready: true},
			{Name: "node3", Addrs: addrs("10.89.0.13", "fd00:89::d"), Ready: true},
		},
		Services: []ServiceInfo{
			{Namespace: "default", Name: "web", Type: "LoadBalancer", Families: []string{"IPv4", "IPv6"},
				LBIPs: addrs("198.51.100.0", "2001:db8:100::"), Ports: []PortInfo{{Name: "http", Port: 80, Protocol: "tcp"}},
				Endpoints: []EndpointInfo{ep("10.244.1.2", "node1"), ep("10.244.2.2", "node2"), ep("10.244.3.2", "node3"),
					ep("fd00:10:244:1::2", "node1"), ep("fd00:10:244:2::2", "node2"), ep("fd00:10:244:3::2", "node3")}},
			{Namespace: "default", Name: "local", Type: "LoadBalancer", ETPLocal: true, Families: []string{"IPv4", "IPv6"},
				LBIPs: addrs("198.51.100.1", "2001:db8:100::1"), Ports: []PortInfo{{Name: "http", Port: 80, Protocol: "tcp"}},
				Endpoints: []EndpointInfo{ep("10.244.1.3", "node1"), ep("10.244.2.3", "node2"),
					ep("fd00:10:244:1::3", "node1"), ep("fd00:10:244:2::3", "node2")}},
		},
		Held: addrs("198.51.100.0", "2001:db8:100::", "198.51.100.1", "2001:db8:100::1"),
	}
}

func labPools() map[string][]netaddr.Range {
	v4, _ := netaddr.ParseRange("198.51.100.0/24")
	v6, _ := netaddr.ParseRange("2001:db8:100::/120")
	return map[string][]netaddr.Range{"default": {v4, v6}}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
