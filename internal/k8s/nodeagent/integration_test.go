package nodeagent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"
	corev1 "k8s.io/api/core/v1"

	"github.com/lblab/lblab/internal/proc"
	"github.com/lblab/lblab/internal/testutil"
)

// itLab is a throwaway two-node network of the integration test: node
// namespaces n1 and n2 and an outside host "tor" on a bridge, like a lab's.
type itLab struct {
	t    *testing.T
	name string // agent-<random>; pod namespaces are <name>_pod-…
}

func (l *itLab) ns(host string) string { return l.name + "-" + host }

func (l *itLab) sh(args ...string) string {
	l.t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (l *itLab) in(host string, args ...string) (string, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", host}, args...)...).CombinedOutput()
	return string(out), err
}

func newITLab(t *testing.T) *itLab {
	var b [3]byte
	_, _ = rand.Read(b[:])
	l := &itLab{t: t, name: "agent-" + hex.EncodeToString(b[:])}
	t.Cleanup(l.cleanup)
	fab := l.ns("fabric")
	l.sh("ip", "netns", "add", fab)
	l.sh("ip", "-n", fab, "link", "add", "br0", "type", "bridge")
	l.sh("ip", "-n", fab, "link", "set", "br0", "up")
	for i, h := range []string{"n1", "n2", "tor"} {
		ns := l.ns(h)
		l.sh("ip", "netns", "add", ns)
		l.sh("ip", "-n", fab, "link", "add", h, "type", "veth", "peer", "name", "eth0", "netns", ns)
		l.sh("ip", "-n", fab, "link", "set", h, "master", "br0", "up")
		l.sh("ip", "-n", ns, "link", "set", "lo", "up")
		l.sh("ip", "-n", ns, "link", "set", "eth0", "up")
		l.sh("ip", "-n", ns, "addr", "add", fmt.Sprintf("10.250.0.%d/24", i+1), "dev", "eth0")
		l.sh("ip", "-n", ns, "addr", "add", fmt.Sprintf("fd00:250::%d/64", i+1), "dev", "eth0", "nodad")
		if h != "tor" { // the nodes' default route is the TOR, which knows no pod CIDR
			l.sh("ip", "-n", ns, "route", "add", "default", "via", "10.250.0.3")
			l.sh("ip", "-n", ns, "-6", "route", "add", "default", "via", "fd00:250::3")
		}
	}
	return l
}

// cleanup removes every namespace of the test lab and its processes.
func (l *itLab) cleanup() {
	entries, _ := os.ReadDir(netnsDir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), l.name) {
			if pids, err := proc.NetnsPIDs(e.Name()); err == nil {
				_ = proc.Kill(pids, time.Second)
			}
			_ = exec.Command("ip", "netns", "del", e.Name()).Run()
		}
	}
}

func TestIntegrationPodNetworkAndNginx(t *testing.T) {
	testutil.Integration(t)
	for _, bin := range []string{nginxPath, "ip", "nft", "curl", "ping"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is missing: run hack/setup.sh", bin)
		}
	}
	l := newITLab(t)
	net1, err := NewLinuxNetwork(l.name, l.ns("n1"), MasqNFTables)
	if err != nil {
		t.Fatal(err)
	}
	net2, err := NewLinuxNetwork(l.name, l.ns("n2"), MasqIPTables) // as on a uml node
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []Network{net1, net2} {
		if err := n.Init(); err != nil {
			t.Fatal(err)
		}
	}
	a := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	pod1 := PodNetwork{Netns: l.name + "_pod-ab12cd34", HostVeth: "vethab12cd34",
		IPs: []netip.Addr{a("10.251.1.2"), a("fd00:251:1::2")}, Gateways: []netip.Addr{a("10.251.1.1"), gatewayV6}}
	pod2 := PodNetwork{Netns: l.name + "_pod-ef56ab78", HostVeth: "vethef56ab78",
		IPs: []netip.Addr{a("10.251.2.2"), a("fd00:251:2::2")}, Gateways: []netip.Addr{a("10.251.2.1"), gatewayV6}}
	for i := range 2 { // Setup is idempotent
		if err := net1.Setup(pod1); err != nil {
			t.Fatalf("setup %d of pod1: %v", i, err)
		}
	}
	if err := net2.Setup(pod2); err != nil {
		t.Fatal(err)
	}
	cidrs := prefixes("10.251.1.0/24", "fd00:251:1::/64", "10.251.2.0/24", "fd00:251:2::/64")
	route := func(dst netip.Prefix, via string) Route { return Route{Dst: dst, Via: a(via)} }
	if err := net1.SyncRoutes([]Route{route(cidrs[2], "10.250.0.2"), route(cidrs[3], "fd00:250::2")}); err != nil {
		t.Fatal(err)
	}
	if err := net2.SyncRoutes([]Route{route(cidrs[0], "10.250.0.1"), route(cidrs[1], "fd00:250::1")}); err != nil {
		t.Fatal(err)
	}
	if err := net1.SyncMasquerade(cidrs[:2], cidrs); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the jump from POSTROUTING is added once
		if err := net2.SyncMasquerade(cidrs[2:], cidrs); err != nil {
			t.Fatal(err)
		}
	}
	if out, _ := l.in(l.ns("n2"), "iptables-save", "-t", "nat"); strings.Count(out, "-A POSTROUTING -j "+MasqChain) != 1 ||
		!strings.Contains(out, "-A "+MasqChain+" -s 10.251.2.0/24 -j MASQUERADE") {
		t.Errorf("n2's nat table:\n%s", out)
	}
	if got, _ := net1.PodNetworks(); len(got) != 1 || got[0].Netns != pod1.Netns {
		t.Errorf("node1's pod networks = %v, want only %s", got, pod1.Netns)
	}

	// nginx in pod1, as the agent runs it.
	uid, gid, err := lookupUser()
	if err != nil {
		t.Fatal(err)
	}
	runDir, err := os.MkdirTemp("", "agent-it-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(runDir) })
	if err := os.Chmod(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checkSearchable(runDir); err != nil {
		t.Fatal(err)
	}
	_, without := nginxBuild(nginxPath)
	cfg := nginxConfig{Namespace: "default", Pod: "web-1", Node: "n1", Container: "web", Ports: []int32{80, 8080},
		Dir: filepath.Join(runDir, "pods", "default_web-1"), Without: without}
	rt := NewLinuxRuntime()
	exited := make(chan struct{}, 4)
	start := func() int {
		t.Helper()
		if err := prepareDirs(cfg, uid, gid); err != nil {
			t.Fatal(err)
		}
		conf, err := cfg.render()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cfg.ConfFile(), conf, 0o644); err != nil {
			t.Fatal(err)
		}
		pid, err := rt.Start(Proc{Netns: pod1.Netns, Argv: cfg.argv(), LogFile: cfg.LogFile(), Match: cfg.ConfFile(),
			UID: uid, GID: gid}, func() { exited <- struct{}{} })
		if err != nil {
			t.Fatal(err)
		}
		waitReady(t, net1.(*linuxNetwork).ns, pod1, cfg)
		return pid
	}
	pid := start()
	if st, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil || st.Sys().(*syscall.Stat_t).Uid != uint32(uid) {
		t.Errorf("nginx does not run as uid %d", uid)
	}

	// From node2, through node2's routes, node1's forwarding and pod1's veth.
	for _, url := range []string{"http://10.251.1.2/", "http://[fd00:251:1::2]:8080/"} {
		out, err := l.in(l.ns("n2"), "curl", "-sS", "--max-time", "5", "-i", url)
		if err != nil || !strings.Contains(out, "Welcome to nginx!") || !strings.Contains(out, "X-Lblab-Pod: web-1") ||
			!strings.Contains(out, "X-Lblab-Node: n1") {
			t.Errorf("curl %s from n2: %v\n%s", url, err, out)
		}
	}
	// From pod2 on node2: pod to pod across nodes, not masqueraded.
	if out, err := l.in(pod2.Netns, "curl", "-sS", "--max-time", "5", "http://10.251.1.2/"); err != nil || !strings.Contains(out, "Welcome to nginx!") {
		t.Errorf("curl from pod2: %v\n%s", err, out)
	}
	// nginx logs a request after answering it: give it a moment.
	for _, src := range []string{"10.250.0.2 - ", "fd00:250::2 - ", "10.251.2.2 - "} {
		deadline := time.Now().Add(3 * time.Second)
		for {
			log, _ := os.ReadFile(cfg.AccessLog())
			if strings.Contains(string(log), src) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("access log has no line from %s:\n%s", src, log)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// Egress: the TOR has no route to pod CIDRs; masquerading (nftables
	// on n1, iptables on n2) lets pods out.
	for _, pod := range []PodNetwork{pod1, pod2} {
		for _, dst := range []string{"10.250.0.3", "fd00:250::3"} {
			if out, err := l.in(pod.Netns, "ping", "-c1", "-W2", dst); err != nil {
				t.Errorf("ping %s from %s: %v\n%s", dst, pod.Netns, err, out)
			}
		}
	}

	// A crash is seen, with its status; a fresh runtime (a restarted agent)
	// sees a running process by pid and command line.
	if !NewLinuxRuntime().State(pid, cfg.ConfFile()).Running {
		t.Error("a restarted agent would not see nginx running")
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	waitExit(t, exited)
	if st := rt.State(pid, cfg.ConfFile()); st.Running || !st.Known || st.Signal != int32(syscall.SIGKILL) || st.ExitCode != 137 {
		t.Errorf("state after SIGKILL = %+v", st)
	}
	waitNoProcs(t, pod1.Netns) // the workers die with the master (or are killed below)
	_ = rt.KillNetns(pod1.Netns)

	// Restart, then stop gracefully and tear down: nothing may be left.
	pid = start()
	if err := rt.Signal(pid, cfg.ConfFile(), syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	waitExit(t, exited)
	if st := rt.State(pid, cfg.ConfFile()); st.Running || st.ExitCode != 0 {
		t.Errorf("state after SIGQUIT = %+v", st)
	}
	waitNoProcs(t, pod1.Netns)
	if err := net1.Teardown(pod1); err != nil {
		t.Fatal(err)
	}
	if err := net1.Teardown(pod1); err != nil {
		t.Errorf("a second teardown must succeed: %v", err)
	}
	if err := net1.SyncRoutes(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(netnsDir, pod1.Netns)); !os.IsNotExist(err) {
		t.Errorf("namespace %s left behind", pod1.Netns)
	}
	if got, _ := net1.PodNetworks(); len(got) != 0 {
		t.Errorf("pod networks left on n1: %v", got)
	}
	out, _ := l.in(l.ns("n1"), "ip", "-d", "route", "show", "proto", "76")
	out6, _ := l.in(l.ns("n1"), "ip", "-6", "route", "show", "proto", "76")
	if strings.TrimSpace(out+out6) != "" {
		t.Errorf("routes left on n1:\n%s%s", out, out6)
	}
	links, _ := l.in(l.ns("n1"), "ip", "-br", "link")
	if strings.Contains(links, pod1.HostVeth) {
		t.Errorf("veth left on n1:\n%s", links)
	}
	if err := net1.SyncMasquerade(nil, nil); err != nil {
		t.Fatal(err)
	}
	if out, _ := l.in(l.ns("n1"), "nft", "list", "tables"); strings.Contains(out, MasqTable) {
		t.Errorf("nft table left: %s", out)
	}
	if err := net2.SyncMasquerade(nil, nil); err != nil {
		t.Fatal(err)
	}
	if out, _ := l.in(l.ns("n2"), "iptables-save", "-t", "nat"); strings.Contains(out, "MASQUERADE") {
		t.Errorf("masquerading left on n2:\n%s", out)
	}
}

// waitReady probes nginx from node1, as the agent's readiness check does.
func waitReady(t *testing.T, node netns.NsHandle, p PodNetwork, cfg nginxConfig) {
	t.Helper()
	c := &corev1.Container{Name: cfg.Container}
	for _, port := range cfg.Ports {
		c.Ports = append(c.Ports, corev1.ContainerPort{ContainerPort: port})
	}
	spec, _ := readinessSpec(c, p.IPs)
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := inNetns(node, func() error { return netProber{}.Probe(context.Background(), spec) })
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx is not ready: %v\n%s", err, proc.Tail(cfg.LogFile(), 20))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitExit(t *testing.T, exited chan struct{}) {
	t.Helper()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("no exit notification")
	}
}

func waitNoProcs(t *testing.T, ns string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		pids, _ := proc.NetnsPIDs(ns)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("processes left in %s: %v", ns, pids)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
