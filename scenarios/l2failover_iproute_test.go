package scenarios

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// Captured on node2 of an l2-dual netns lab (iproute2 6.1): its addresses
// and the routes through eth0, pod routes (proto 76) included.
const (
	node2AddrDual = `[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"},{"family":"inet6","local":"::1","prefixlen":128,"scope":"host"}]},` +
		`{"ifindex":2,"link_index":6,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"operstate":"UP","address":"d6:88:fe:06:2b:bf","addr_info":[{"family":"inet","local":"10.89.0.12","prefixlen":24,"scope":"global","label":"eth0"},{"family":"inet6","local":"fd00:89::c","prefixlen":64,"scope":"global","nodad":true},{"family":"inet6","local":"fe80::d488:feff:fe06:2bbf","prefixlen":64,"scope":"link"}]},` +
		`{"ifindex":3,"ifname":"vethb273543a4d7","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"addr_info":[{"family":"inet","local":"10.244.2.1","prefixlen":32,"scope":"global"}]}]`
	node2Route4 = `[{"dst":"default","gateway":"10.89.0.1","flags":[]},{"dst":"10.89.0.0/24","protocol":"kernel","scope":"link","prefsrc":"10.89.0.12","flags":[]},{"dst":"10.244.0.0/24","gateway":"10.89.0.10","protocol":"76","flags":[]},{"dst":"10.244.1.0/24","gateway":"10.89.0.11","protocol":"76","flags":[]},{"dst":"10.244.3.0/24","gateway":"10.89.0.13","protocol":"76","flags":[]}]`
	node2Route6 = `[{"dst":"fd00:10:244::/64","gateway":"fd00:89::a","protocol":"76","metric":1024,"flags":[],"pref":"medium"},{"dst":"fd00:89::/64","protocol":"kernel","metric":256,"flags":[],"pref":"medium"},{"dst":"fe80::/64","protocol":"kernel","metric":256,"flags":[],"pref":"medium"},{"dst":"default","gateway":"fd00:89::1","metric":1024,"flags":["onlink"],"pref":"medium"}]`
)

func TestFabricLink(t *testing.T) {
	dev, up, addrs, err := fabricLink([]byte(node2AddrDual), []netip.Addr{netip.MustParseAddr("10.89.0.12"), netip.MustParseAddr("fd00:89::c")})
	if err != nil || dev != "eth0" || !up {
		t.Fatalf("fabricLink = %q up=%v, %v; want eth0 up", dev, up, err)
	}
	if want := []netip.Prefix{netip.MustParsePrefix("10.89.0.12/24"), netip.MustParsePrefix("fd00:89::c/64")}; !slices.Equal(addrs, want) {
		t.Errorf("addresses %v, want %v (no link-local)", addrs, want)
	}
	down := strings.Replace(node2AddrDual, `"MULTICAST","UP","LOWER_UP"],"mtu"`, `"MULTICAST"],"mtu"`, 1)
	if _, up, _, err := fabricLink([]byte(down), []netip.Addr{netip.MustParseAddr("10.89.0.12")}); err != nil || up {
		t.Errorf("a link without UP: up=%v, %v", up, err)
	}
	if _, _, _, err := fabricLink([]byte(node2AddrDual), []netip.Addr{netip.MustParseAddr("10.89.0.99")}); err == nil {
		t.Error("no error for an address no interface holds")
	}
	evil := strings.Replace(node2AddrDual, `"ifname":"eth0"`, `"ifname":"eth0;reboot"`, 1)
	if _, _, _, err := fabricLink([]byte(evil), []netip.Addr{netip.MustParseAddr("10.89.0.12")}); err == nil {
		t.Error("no error for an interface name unfit for a shell line")
	}
}

func TestLinkRestoreLines(t *testing.T) {
	addrs := []netip.Prefix{netip.MustParsePrefix("10.89.0.12/24"), netip.MustParsePrefix("fd00:89::c/64")}
	got, err := linkRestoreLines("eth0", addrs, nil, []byte(node2Route4), []byte(node2Route6))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ip link set dev eth0 up",
		"ip -4 addr replace 10.89.0.12/24 dev eth0",
		"ip -6 addr replace fd00:89::c/64 dev eth0 nodad",
		"ip -4 route replace default via 10.89.0.1 dev eth0",
		"ip -4 route replace 10.244.0.0/24 via 10.89.0.10 dev eth0 proto 76",
		"ip -4 route replace 10.244.1.0/24 via 10.89.0.11 dev eth0 proto 76",
		"ip -4 route replace 10.244.3.0/24 via 10.89.0.13 dev eth0 proto 76",
		"ip -6 route replace fd00:10:244::/64 via fd00:89::a dev eth0 proto 76 metric 1024",
		"ip -6 route replace default via fd00:89::1 dev eth0 metric 1024 onlink",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := linkRestoreLines("eth0", nil, nil, []byte(`[{"dst":"default","gateway":"10.89.0.1 $(x)"}]`), nil); err == nil {
		t.Error("no error for a route field unfit for a shell line")
	}
	if dsts, err := routeDsts([]byte(node2Route6)); err != nil || !slices.Equal(dsts, []string{"fd00:10:244::/64", "default"}) {
		t.Errorf("routeDsts = %v, %v", dsts, err)
	}
}

func TestApplySwitches(t *testing.T) {
	t0 := time.Unix(1796188976, 0)
	ts := func(ms int) string { return "@@n " + itoa(t0.Add(time.Duration(ms)*time.Millisecond).UnixNano()) }
	lines := []streamLine{
		{text: ts(-30)}, {text: "10.89.0.192 dev eth0 lladdr aa:00:00:00:00:09 REACHABLE"}, // before the fault: not counted
		{text: ts(0)}, {text: "10.89.0.192 dev eth0 lladdr aa:00:00:00:00:02 REACHABLE"},
		{text: "fd00:89::c0 dev eth0 lladdr aa:00:00:00:00:02 router STALE"},
		{text: ts(1500)}, {text: "10.89.0.192 dev eth0  FAILED"}, {text: "fd00:89::c0 dev eth0 lladdr aa:00:00:00:00:02 PROBE"},
		{text: ts(1530)}, {text: "10.89.0.192 dev eth0 lladdr aa:00:00:00:00:03 STALE"},
		{text: ts(1560)}, {text: "fd00:89::c0 dev eth0 lladdr aa:00:00:00:00:01 router STALE"},
		{text: "10.89.0.192 dev eth0 lladdr aa:00:00:00:00:01 STALE"}, // a later change: the first counts
	}
	run := L2FailoverRun{IPs: []L2Move{{IP: netip.MustParseAddr("10.89.0.192"), OldMAC: "aa:00:00:00:00:02"},
		{IP: netip.MustParseAddr("fd00:89::c0"), OldMAC: "aa:00:00:00:00:02"}}}
	applySwitches(&run, lines, t0)
	if m := run.IPs[0]; m.Switched != 1530*time.Millisecond || m.SwitchedMAC != "aa:00:00:00:00:03" {
		t.Errorf("IPv4: switched %s to %s, want 1.53s to aa:00:00:00:00:03", m.Switched, m.SwitchedMAC)
	}
	if m := run.IPs[1]; m.Switched != 1560*time.Millisecond || m.SwitchedMAC != "aa:00:00:00:00:01" {
		t.Errorf("IPv6: switched %s to %s, want 1.56s to aa:00:00:00:00:01", m.Switched, m.SwitchedMAC)
	}
}

// A VIP or class speaker's IPv6 address is deprecated so that it is never
// a source; restoring the link must keep it so (a preferred one took over
// a control-plane node's IPv6 sessions).
func TestLinkRestoreKeepsDeprecated(t *testing.T) {
	raw := `[{"ifname":"eth0","flags":["UP"],"addr_info":[
	 {"family":"inet6","local":"fd00:89::11","prefixlen":64,"scope":"global","nodad":true,"deprecated":true,"preferred_life_time":0},
	 {"family":"inet6","local":"fd00:89::c","prefixlen":64,"scope":"global","nodad":true}]}]`
	dep := deprecatedAddrs([]byte(raw))
	if !dep[netip.MustParseAddr("fd00:89::11")] || dep[netip.MustParseAddr("fd00:89::c")] {
		t.Fatalf("deprecated %v, want fd00:89::11 only", dep)
	}
	addrs := []netip.Prefix{netip.MustParsePrefix("fd00:89::11/64"), netip.MustParsePrefix("fd00:89::c/64")}
	got, err := linkRestoreLines("eth0", addrs, dep, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ip link set dev eth0 up",
		"ip -6 addr replace fd00:89::11/64 dev eth0 nodad preferred_lft 0",
		"ip -6 addr replace fd00:89::c/64 dev eth0 nodad"}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
