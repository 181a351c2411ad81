package ipvs

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/lblab/lblab/internal/testutil/golden"
	mobyipvs "github.com/moby/ipvs"
)

// The inputs are the real ipset 7.17 tool's output; see testdata/README.md.
func TestParseSetsGolden(t *testing.T) {
	for _, name := range []string{"ipset-ipv4", "ipset-ipv6", "kube-proxy-sets"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			sets, err := ParseSets(data)
			if err != nil {
				t.Fatal(err)
			}
			golden.AssertJSON(t, filepath.Join("testdata", name+".golden.json"), sets)
		})
	}
	data, _ := os.ReadFile(filepath.Join("testdata", "ipset-ipv6.txt"))
	sets, _ := ParseSets(data)
	if !sets[0].Has(netip.MustParseAddr("2001:db8:100::"), "TCP", 80) || sets[0].Has(netip.MustParseAddr("2001:db8:100::1"), "tcp", 80) {
		t.Errorf("Has: %+v", sets[0])
	}
	if _, err := ParseSets([]byte("Name: x\nMembers:\nnonsense\n")); err == nil {
		t.Error("want an error for a bad member")
	}
}

// TestConvert feeds the values moby/ipvs decodes from netlink for a
// kube-proxy LB virtual server, written by hand to reach every field; the
// reader's output on a real node is checked against ipvsadm in
// captured_test.go.
func TestConvert(t *testing.T) {
	svc := &mobyipvs.Service{Address: net.ParseIP("198.51.100.0").To4(), Protocol: syscall.IPPROTO_TCP, Port: 80,
		SchedName: "rr", AddressFamily: syscall.AF_INET, Netmask: 0xffffffff,
		Stats: mobyipvs.SvcStats{Connections: 30, PacketsIn: 180, PacketsOut: 150, BytesIn: 12000, BytesOut: 40000}}
	dests := []*mobyipvs.Destination{
		{Address: net.ParseIP("10.244.2.2"), Port: 80, Weight: 1, ConnectionFlags: mobyipvs.ConnectionFlagMasq, ActiveConnections: 1,
			Stats: mobyipvs.DstStats{Connections: 10}},
		{Address: net.ParseIP("10.244.1.2"), Port: 80, Weight: 0, ConnectionFlags: mobyipvs.ConnectionFlagMasq, InactiveConnections: 3},
	}
	vs := convert(svc, dests)
	d := &Dump{Available: true, VirtualServers: []VirtualServer{vs}}
	d.Sort()
	got, ok := d.Lookup(netip.MustParseAddr("198.51.100.0"), "TCP", 80)
	if !ok || got.Scheduler != "rr" || got.Stats.Conns != 30 || got.RealServers[0].Address.String() != "10.244.1.2:80" {
		t.Fatalf("converted: %+v", got)
	}
	set := &Set{Name: LoadBalancerSet, Entries: []Member{{Address: netip.MustParseAddr("198.51.100.0"), Protocol: "tcp", Port: 80}}}
	f := got.Frontend(LBSets{LoadBalancer: set})
	// A weight-0 real server is draining (kube-proxy's graceful termination): not a backend.
	if !slices.Equal(f.Backends, []netip.AddrPort{netip.MustParseAddrPort("10.244.2.2:80")}) {
		t.Errorf("backends %v", f.Backends)
	}
	if !strings.Contains(strings.Join(f.Rules, "\n"), "member=true") {
		t.Errorf("rules %v", f.Rules)
	}
	v6 := convert(&mobyipvs.Service{Address: net.ParseIP("2001:db8:100::"), Protocol: syscall.IPPROTO_TCP, Port: 80, SchedName: "rr",
		AddressFamily: syscall.AF_INET6}, nil)
	if v6.Address.String() != "2001:db8:100::" || v6.Protocol != "tcp" || len(v6.RealServers) != 0 {
		t.Errorf("v6: %+v", v6)
	}
}

// TestNetlinkWithoutIPVS runs the real reader. On a kernel without IP_VS it
// must say so plainly instead of failing.
func TestNetlinkWithoutIPVS(t *testing.T) {
	if _, err := os.Stat(ProcFile); err == nil {
		t.Skip("this kernel has IP_VS")
	}
	d, err := Netlink{}.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.Available || !strings.Contains(d.Reason, "CONFIG_IP_VS") {
		t.Errorf("dump %+v, want unavailable naming CONFIG_IP_VS", d)
	}
	data, _ := json.Marshal(d)
	back, err := ParseDump(data)
	if err != nil || back.Reason != d.Reason {
		t.Errorf("round trip: %+v %v", back, err)
	}
}
