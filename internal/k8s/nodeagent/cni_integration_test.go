package nodeagent

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/lblab/lblab/internal/proc"
	"github.com/lblab/lblab/internal/testutil"
)

// refPluginDir is where Debian's containernetworking-plugins puts them.
const refPluginDir = "/usr/lib/cni"

// TestIntegrationCNINetwork wires pods with the reference plugins (ptp and
// host-local, then loopback) through the CNI network, from a node
// namespace as the agent runs in one.
func TestIntegrationCNINetwork(t *testing.T) {
	testutil.Integration(t)
	for _, p := range []string{"ptp", "host-local", "loopback", "tuning"} {
		if _, err := os.Stat(filepath.Join(refPluginDir, p)); err != nil {
			t.Fatalf("CNI plugin %s is missing: run hack/setup.sh (apt-get install containernetworking-plugins)", p)
		}
	}
	l := newITLab(t)
	node, err := netns.GetFromName(l.ns("n1"))
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	dir := t.TempDir()
	ipamDir := filepath.Join(dir, "host-local")
	ptp := `{"type": "ptp", "mtu": 1400, "ipam": {"type": "host-local", "dataDir": "` + ipamDir + `",
		"ranges": [[{"subnet": "fd00:252:1::/64"}], [{"subnet": "10.252.1.0/24"}]],
		"routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]}}`
	conf := writeFile(t, dir, "lab.conflist", `{"cniVersion": "1.0.0", "name": "lab", "plugins": [`+ptp+`, {"type": "loopback"}]}`)
	cfg := Config{Lab: l.name, RunDir: dir, CNI: CNIOptions{Conf: conf, BinDirs: []string{refPluginDir}}}
	n, err := NewCNINetwork(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Init(); err != nil {
		t.Fatal(err)
	}
	uid := "0a1b2c3d-0000-4000-8000-000000000001"
	pod := PodNetwork{Netns: l.name + "_pod-" + uid, PodUID: "0a1b2c3d-0000-4000-8000-000000000001", PodNamespace: "default", PodName: "web-1"}
	attach := func(n PluginNetwork) (got PodNetwork, err error) {
		err = inNetns(node, func() error { got, err = n.Attach(pod); return err })
		return got, err
	}
	got, err := attach(n)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.IPs) != 2 || !got.IPs[0].Is6() || !netip.MustParsePrefix("10.252.1.0/24").Contains(got.IPs[1]) || got.HostVeth == "" {
		t.Fatalf("attached %+v, want an IPv6 and an IPv4 address in that order, and a host veth", got)
	}
	cache := filepath.Join(dir, "cni", "results", "lab-"+uid+"-eth0")
	if _, err := os.Stat(cache); err != nil {
		t.Errorf("no cache entry: %v", err)
	}
	addrs, _ := l.in(pod.Netns, "ip", "-br", "addr")
	for _, ip := range got.IPs {
		if !strings.Contains(addrs, ip.String()+"/") {
			t.Errorf("the pod's eth0 lacks %s:\n%s", ip, addrs)
		}
	}
	if !slices.ContainsFunc(strings.Split(addrs, "\n"), func(l string) bool {
		f := strings.Fields(l)
		return len(f) > 1 && f[0] == "lo" && f[1] == "UNKNOWN"
	}) {
		t.Errorf("lo is not up in the pod:\n%s", addrs)
	}
	for _, ip := range got.IPs { // until a reply: the node's end of the veth may still be doing DAD
		if out, err := l.in(l.ns("n1"), "ping", "-c1", "-w5", ip.String()); err != nil {
			t.Errorf("ping %s from the node: %v\n%s", ip, err, out)
		}
	}
	// A restarted agent's Attach finds the result in the cache: a second
	// ADD would fail, as ptp's eth0 exists already.
	if again, err := attach(n); err != nil || !slices.Equal(again.IPs, got.IPs) {
		t.Errorf("Attach of an attached pod = %v, %v; want the cached %v", again.IPs, err, got.IPs)
	}
	if nets, err := n.PodNetworks(); err != nil || len(nets) != 1 || nets[0].Netns != pod.Netns ||
		nets[0].PodUID != pod.PodUID || nets[0].PodName != "web-1" || nets[0].PodNamespace != "default" {
		t.Errorf("pod networks = %+v, %v; want %s", nets, err, pod.Netns)
	}

	// DEL, twice: everything goes, and the second finds nothing to do.
	for i := range 2 {
		if err := inNetns(node, func() error { return n.Teardown(pod) }); err != nil {
			t.Fatalf("teardown %d: %v", i, err)
		}
	}
	assertDetached(t, l, pod, got.HostVeth, cache, ipamDir)

	// DEL copes with a lost cache entry, and with a namespace gone.
	for _, tc := range []struct {
		name string
		lose func() error
	}{
		{"cache lost", func() error { return os.Remove(cache) }},
		{"netns gone", func() error { return deleteNetns(pod.Netns) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := attach(n)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.lose(); err != nil {
				t.Fatal(err)
			}
			if err := inNetns(node, func() error { return n.Teardown(pod) }); err != nil {
				t.Errorf("teardown: %v", err)
			}
			assertDetached(t, l, pod, got.HostVeth, cache, ipamDir)
		})
	}

	// An ADD that fails in its second plugin is undone.
	bad := writeFile(t, dir, "bad.conflist", `{"cniVersion": "1.0.0", "name": "lab", "plugins": [`+ptp+`,
		{"type": "tuning", "sysctl": {"net.ipv4.conf.eth0.no_such_sysctl": "1"}}]}`)
	cfg.CNI.Conf = bad
	nb, err := NewCNINetwork(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attach(nb); err == nil || !strings.Contains(err.Error(), "tuning") {
		t.Fatalf("Attach with a failing tuning plugin = %v, want its error", err)
	}
	assertDetached(t, l, PodNetwork{Netns: "kept"}, got.HostVeth, cache, ipamDir)
	if err := inNetns(node, func() error { return nb.Teardown(pod) }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(netnsDir, pod.Netns)); !os.IsNotExist(err) {
		t.Errorf("namespace %s left behind", pod.Netns)
	}
}

// assertDetached checks that nothing of a pod's attachment is left: its
// host veth, cache entry, IPs, and (unless p.Netns is "kept") namespace.
func assertDetached(t *testing.T, l *itLab, p PodNetwork, veth, cache, ipamDir string) {
	t.Helper()
	// The kernel destroys a deleted namespace's veth asynchronously.
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		links, _ := l.in(l.ns("n1"), "ip", "-br", "link")
		if !strings.Contains(links, veth) && !strings.Contains(links, "veth") {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("veth left on the node:\n%s", links)
			break
		}
	}
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Errorf("cache entry %s left behind: %v", cache, err)
	}
	entries, _ := os.ReadDir(filepath.Join(ipamDir, "lab"))
	for _, e := range entries {
		if _, err := netip.ParseAddr(e.Name()); err == nil {
			t.Errorf("host-local still holds %s", e.Name())
		}
	}
	if p.Netns != "kept" {
		if _, err := os.Stat(filepath.Join(netnsDir, p.Netns)); !os.IsNotExist(err) {
			t.Errorf("namespace %s left behind", p.Netns)
		}
	}
}

// TestIntegrationPodCgroup starts processes with --pod-cgroup: straight
// into the cgroup with clone3, and by the fallback that moves the pid.
func TestIntegrationPodCgroup(t *testing.T) {
	testutil.Integration(t)
	root := cgroup2Mount()
	if root == "" {
		t.Fatal("no cgroup2 file system is mounted (a hybrid host has it at /sys/fs/cgroup/unified)")
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	name := "agent-" + hex.EncodeToString(b[:])
	cg := filepath.Join(root, name)
	if err := os.Mkdir(cg, 0o755); err != nil {
		t.Fatal(err)
	}
	podNS := name + "_pod-cg"
	h, err := createNetns(podNS, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	t.Cleanup(func() {
		if pids, err := proc.NetnsPIDs(podNS); err == nil {
			_ = proc.Kill(pids, time.Second)
		}
		_ = deleteNetns(podNS)
		for range 50 { // the killed processes leave the cgroup as they are reaped
			if os.Remove(cg) == nil || os.IsNotExist(os.Remove(cg)) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("failed to remove cgroup %s", cg)
	})
	uid, gid, err := lookupUser()
	if err != nil {
		t.Fatal(err)
	}
	for _, fallback := range []bool{false, true} {
		t.Run(fmt.Sprintf("fallback=%v", fallback), func(t *testing.T) {
			rt, err := NewLinuxRuntimeWith(RuntimeOptions{PodCgroup: cg})
			if err != nil {
				t.Fatal(err)
			}
			rt.(*linuxRuntime).cloneRefused.Store(fallback)
			logFile := filepath.Join(t.TempDir(), "c.log")
			// The shell forks a child a little later, as nginx forks its workers.
			p := Proc{Netns: podNS, Argv: []string{"/bin/sh", "-c", "sleep 0.2; sleep 300 & exec sleep 301"},
				LogFile: logFile, Match: "301", UID: uid, GID: gid}
			pid, err := rt.Start(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = rt.KillNetns(podNS) }()
			if got := cgroupOf(pid); got != "/"+name {
				t.Errorf("pid %d is in cgroup %q, want /%s", pid, got, name)
			}
			deadline := time.Now().Add(3 * time.Second)
			for {
				procs, _ := os.ReadFile(filepath.Join(cg, "cgroup.procs"))
				if len(strings.Fields(string(procs))) == 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("cgroup.procs = %q, want the shell and its child", procs)
				}
				time.Sleep(10 * time.Millisecond)
			}
			log, _ := os.ReadFile(logFile)
			if moved := strings.Contains(string(log), "moved pid"); moved != fallback {
				t.Errorf("log says moved=%v, want %v:\n%s", moved, fallback, log)
			}
			_ = rt.Signal(pid, p.Match, syscall.SIGKILL)
		})
	}
}

// cgroupOf returns pid's cgroup v2 path.
func cgroupOf(pid int) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "0::"); ok {
			return rest
		}
	}
	return ""
}
