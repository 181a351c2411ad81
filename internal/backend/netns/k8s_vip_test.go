package netns

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/controller/cpvip"
	"github.com/lblab/lblab/internal/k8s/pki"
	"github.com/lblab/lblab/internal/lab"
)

// Three control-plane nodes behind a VIP: per-node units and etcd
// members, VIP speakers peering from their own addresses, the VIP in the
// serving certificate, on each node's lo, and routed from the machine
// through the TOR.
func TestHAClusterLayout(t *testing.T) {
	c := testCluster(t, "ha-control-plane", true)
	if len(c.cps) != 3 || c.cfg.Server() != "https://10.90.0.1:6443" {
		t.Fatalf("%d control-plane nodes, server %s", len(c.cps), c.cfg.Server())
	}
	cp2 := c.cps[1]
	etcd := c.etcd(cp2)
	args := strings.Join(etcd.argv, " ")
	for _, want := range []string{"--name=control-plane2", "--data-dir=" + c.y.etcdDir() + "-control-plane2",
		"--initial-cluster=control-plane=http://10.89.7.10:2380,control-plane2=http://10.89.7.11:2380,control-plane3=http://10.89.7.12:2380",
		"--listen-peer-urls=http://10.89.7.11:2380"} {
		if !strings.Contains(args, want) {
			t.Errorf("etcd on control-plane2 lacks %s: %s", want, args)
		}
	}
	if etcd.file != "control-plane2-etcd" || etcd.ns != "k8s-unit_control-plane2" {
		t.Errorf("etcd unit %s in %s", etcd.file, etcd.ns)
	}
	if api := strings.Join(c.apiServer(cp2).argv, " "); !strings.Contains(api, "--advertise-address=10.89.7.11") {
		t.Errorf("apiserver on control-plane2: %s", api)
	}
	sp := c.vipSpeakers()
	if len(sp) != 3 {
		t.Fatalf("%d VIP speakers, want 3", len(sp))
	}
	// 5 nodes from host 10; the VIP speakers' addresses follow: 15, 16, 17.
	for _, want := range []string{"cp-speaker", "--vip=10.90.0.1", "--vip=fd00:90::1", "--peer=10.89.7.1", "--peer=fd00:89:7::1",
		"--source=10.89.7.16", "--source=fd00:89:7::10", "--asn=64500", "--peer-asn=64496", "--hold-time=3s", "--interval=200ms",
		"--readyz=https://127.0.0.1:6443/readyz", "--gobgp-api=127.0.0.1:50052"} {
		if !slices.Contains(sp[1].argv, want) {
			t.Errorf("control-plane2's VIP speaker lacks %s: %v", want, sp[1].argv)
		}
	}
	if slices.ContainsFunc(sp[1].argv, func(a string) bool { return strings.HasPrefix(a, "--bfd") || strings.HasPrefix(a, "--router-id") }) {
		t.Errorf("BFD or a router ID without need: %v", sp[1].argv)
	}
	cert, err := os.ReadFile(c.files.APIServerCert)
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := pki.ParseCert(cert)
	for _, want := range []string{"10.90.0.1", "fd00:90::1", "10.89.7.10", "10.89.7.11", "fd00:89:7::c"} {
		if !slices.Contains(pki.CertIPs(parsed), netip.MustParseAddr(want)) {
			t.Errorf("serving cert lacks %s", want)
		}
	}
	mgmt := strings.Join(mgmtLines(c.p), "\n")
	for _, want := range []string{"route replace 10.90.0.1/32 via 10.89.7.1 dev " + c.p.hostLink,
		"route replace fd00:90::1/128 via fd00:89:7::1 dev " + c.p.hostLink} {
		if !strings.Contains(mgmt, want) {
			t.Errorf("management lines lack %q:\n%s", want, mgmt)
		}
	}
	lines := strings.Join(hostLines(c.p, cp2), "\n")
	for _, want := range []string{"addr replace 10.90.0.1/32 dev lo", "addr replace fd00:90::1/128 dev lo nodad preferred_lft 0",
		"addr replace fd00:89:7::10/64 dev eth0 nodad preferred_lft 0"} {
		if !strings.Contains(lines, want) {
			t.Errorf("control-plane2's lines lack %q:\n%s", want, lines)
		}
	}
	if w := strings.Join(hostLines(c.p, c.p.nodes[3]), "\n"); strings.Contains(w, "10.90.0.1") {
		t.Errorf("a worker holds the VIP:\n%s", w)
	}
}

func TestHAClusterBFD(t *testing.T) {
	c := testCluster(t, "ha-control-plane-bfd", true)
	sp := c.vipSpeakers()
	if len(sp) != 3 || !slices.Contains(sp[0].argv, "--bfd-interval=300ms") || !slices.Contains(sp[0].argv, "--bfd-multiplier=3") {
		t.Errorf("VIP speakers %v, want BFD 300ms x3", sp)
	}
}

// In L2 mode the VIP is host 240 of the node subnets, on every
// control-plane node's lo with the kernel's ARP for it off, on the
// machine's own segment (no route), and each VIP speaker probes the other
// control-plane nodes instead of peering with the TOR.
func TestHAClusterL2(t *testing.T) {
	c := testCluster(t, "ha-control-plane-l2", true)
	if !c.p.vipL2 || c.cfg.Server() != "https://10.89.7.240:6443" {
		t.Fatalf("vipL2 %v, server %s", c.p.vipL2, c.cfg.Server())
	}
	sp := c.vipSpeakers()
	if len(sp) != 3 {
		t.Fatalf("%d VIP speakers, want 3", len(sp))
	}
	for _, want := range []string{"--mode=l2", "--name=control-plane2", "--vip=10.89.7.240", "--vip=fd00:89:7::f0",
		"--member=control-plane=https://10.89.7.10:6443/readyz", "--member=control-plane3=https://10.89.7.12:6443/readyz",
		"--readyz=https://127.0.0.1:6443/readyz", "--fall=2"} {
		if !slices.Contains(sp[1].argv, want) {
			t.Errorf("control-plane2's VIP speaker lacks %s: %v", want, sp[1].argv)
		}
	}
	if slices.ContainsFunc(sp[1].argv, func(a string) bool {
		return strings.HasPrefix(a, "--peer") || strings.HasPrefix(a, "--source") || strings.HasPrefix(a, "--member=control-plane2=")
	}) {
		t.Errorf("BGP flags, or itself as a member: %v", sp[1].argv)
	}
	cp2 := c.cps[1]
	if len(cp2.vipAddrs) != 0 {
		t.Errorf("control-plane2 has VIP speaker addresses %v in L2 mode", cp2.vipAddrs)
	}
	lines := strings.Join(hostLines(c.p, cp2), "\n")
	for _, want := range []string{"addr replace 10.89.7.240/32 dev lo", "addr replace fd00:89:7::f0/128 dev lo nodad preferred_lft 0"} {
		if !strings.Contains(lines, want) {
			t.Errorf("control-plane2's lines lack %q:\n%s", want, lines)
		}
	}
	if kv := vipARPSysctls(c.p, cp2); !slices.Contains(kv, "net.ipv4.conf.all.arp_ignore=1") {
		t.Errorf("control-plane2's ARP sysctls %v", kv)
	}
	if kv := vipARPSysctls(c.p, c.p.nodes[3]); len(kv) != 0 {
		t.Errorf("a worker's ARP sysctls %v", kv)
	}
	if mgmt := strings.Join(mgmtLines(c.p), "\n"); strings.Contains(mgmt, "route") {
		t.Errorf("a route for the on-link VIP:\n%s", mgmt)
	}
}

// TestReservedPorts: every GoBGP API port a lab host listens on is
// reserved in its namespace, so no client socket takes it first.
func TestReservedPorts(t *testing.T) {
	var lo, hi uint16
	if _, err := fmt.Sscanf(reservedPorts, "%d-%d", &lo, &hi); err != nil {
		t.Fatalf("reservedPorts %q is not a range: %v", reservedPorts, err)
	}
	for _, api := range []string{speakerGoBGPAPI, cpvip.DefaultGoBGPAPI} {
		if p := netip.MustParseAddrPort(api).Port(); p < lo || p > hi {
			t.Errorf("%s's port is not in the reserved range %s", api, reservedPorts)
		}
	}
	if kv := strings.Join(hostSysctls(host{role: lab.RoleControlPlane}), " "); !strings.Contains(kv, "net.ipv4.ip_local_reserved_ports="+reservedPorts) {
		t.Errorf("a control-plane host's sysctls lack the reserved ports: %s", kv)
	}
}
