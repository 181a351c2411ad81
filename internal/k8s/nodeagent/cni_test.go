package nodeagent

import (
	"bufio"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
	types040 "github.com/containernetworking/cni/pkg/types/040"
	types100 "github.com/containernetworking/cni/pkg/types/100"
)

// cniDirs makes a bin dir with empty plugins of the given names and
// returns it with a conflist of the same plugins.
func cniDirs(t *testing.T, plugins ...string) (bin, conf string) {
	t.Helper()
	dir := t.TempDir()
	bin = filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	var confs []string
	for _, p := range plugins {
		if err := os.WriteFile(filepath.Join(bin, p), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		confs = append(confs, `{"type": "`+p+`"}`)
	}
	conf = writeFile(t, dir, "net.conflist", `{"cniVersion": "1.0.0", "name": "lab", "plugins": [`+strings.Join(confs, ",")+`]}`)
	return bin, conf
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateCNIAndPodCgroup(t *testing.T) {
	bin, conf := cniDirs(t, "cilium-cni", "loopback")
	dir := t.TempDir()
	single := writeFile(t, dir, "single.conf", `{"cniVersion": "1.0.0", "name": "lab", "type": "cilium-cni"}`)
	garbage := writeFile(t, dir, "garbage.conflist", `{"name": `)
	_, missing := cniDirs(t, "cilium-cni", "portmap")
	cgroup2 := cgroup2Mount()
	for _, tc := range []struct {
		name      string
		cni       CNIOptions
		podCgroup string
		want      string
	}{
		{"no cni", CNIOptions{}, "", ""},
		{"cni", CNIOptions{Conf: conf, BinDirs: []string{bin}}, "", ""},
		{"cni, two bin dirs and a cache dir", CNIOptions{Conf: conf, BinDirs: []string{dir, bin}, CacheDir: "/run/x/cni"}, "", ""},
		{"bin dir without conf", CNIOptions{BinDirs: []string{bin}}, "", "--cni-bin-dir is only used with --cni-conf"},
		{"cache dir without conf", CNIOptions{CacheDir: "/tmp/c"}, "", "--cni-cache-dir is only used with --cni-conf"},
		{"conf without bin dir", CNIOptions{Conf: conf}, "", "needs --cni-bin-dir"},
		{"relative bin dir", CNIOptions{Conf: conf, BinDirs: []string{"bin"}}, "", `--cni-bin-dir "bin"`},
		{"missing bin dir", CNIOptions{Conf: conf, BinDirs: []string{filepath.Join(dir, "nope")}}, "", "--cni-bin-dir"},
		{"relative cache dir", CNIOptions{Conf: conf, BinDirs: []string{bin}, CacheDir: "cni"}, "", "--cni-cache-dir"},
		{"unreadable conf", CNIOptions{Conf: filepath.Join(dir, "nope.conflist"), BinDirs: []string{bin}}, "", "--cni-conf"},
		{"not json", CNIOptions{Conf: garbage, BinDirs: []string{bin}}, "", "is not a usable network configuration list"},
		{"a .conf, not a list", CNIOptions{Conf: single, BinDirs: []string{bin}}, "", "is not a usable network configuration list"},
		{"plugin missing", CNIOptions{Conf: missing, BinDirs: []string{bin}}, "", `plugin "portmap" is not in any --cni-bin-dir`},
		{"relative pod cgroup", CNIOptions{}, "pods", "--pod-cgroup"},
		{"missing pod cgroup", CNIOptions{}, filepath.Join(dir, "nope"), "--pod-cgroup"},
		{"pod cgroup not cgroup2", CNIOptions{}, dir, "is not a cgroup v2 directory"},
		{"pod cgroup", CNIOptions{}, cgroup2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.podCgroup == "" && tc.name == "pod cgroup" {
				t.Skip("no cgroup2 file system is mounted here")
			}
			c := Config{Kubeconfig: "k", Node: "node1", Lab: "lab", Role: RoleWorker, RunDir: "/run/x",
				NodeIPs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}, CNI: tc.cni, PodCgroup: tc.podCgroup}
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// cgroup2Mount returns where a cgroup2 file system is mounted, or "".
func cgroup2Mount() string {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if f := strings.Fields(s.Text()); len(f) > 2 && f[2] == "cgroup2" {
			return f[1]
		}
	}
	return ""
}

func TestNewCNINetworkCacheDir(t *testing.T) {
	bin, conf := cniDirs(t, "ptp")
	for _, tc := range []struct{ cache, want string }{
		{"", "/run/x/cni"},
		{"/var/run/lab/cni", "/var/run/lab/cni"},
	} {
		n, err := NewCNINetwork(Config{Lab: "lab", RunDir: "/run/x", CNI: CNIOptions{Conf: conf, BinDirs: []string{bin}, CacheDir: tc.cache}})
		if err != nil {
			t.Fatal(err)
		}
		if got := n.(*cniNetwork).cacheDir; got != tc.want {
			t.Errorf("cache dir for --cni-cache-dir %q = %s, want %s", tc.cache, got, tc.want)
		}
	}
	if _, err := NewCNINetwork(Config{Lab: "lab", RunDir: "/run/x"}); err == nil {
		t.Error("a CNI network without --cni-conf must be an error")
	}
}

func TestRuntimeConf(t *testing.T) {
	got := runtimeConf(PodNetwork{Netns: "lab_pod-0a1b2c3d-0000-4000-8000-000000000001", PodUID: "0a1b2c3d-0000-4000-8000-000000000001",
		PodNamespace: "default", PodName: "web-1"})
	uid := "0a1b2c3d-0000-4000-8000-000000000001"
	want := libcni.RuntimeConf{ContainerID: uid, NetNS: "/run/netns/lab_pod-" + uid, IfName: "eth0",
		Args: [][2]string{{"IgnoreUnknown", "1"}, {"K8S_POD_NAMESPACE", "default"}, {"K8S_POD_NAME", "web-1"},
			{"K8S_POD_INFRA_CONTAINER_ID", uid}, {"K8S_POD_UID", uid}}}
	if got.ContainerID != want.ContainerID || got.NetNS != want.NetNS || got.IfName != want.IfName || !slices.Equal(got.Args, want.Args) ||
		got.CacheDir != "" || got.CapabilityArgs != nil {
		t.Errorf("runtime conf = %+v\nwant %+v", *got, want)
	}
}

func TestApplyResult(t *testing.T) {
	idx := func(i int) *int { return &i }
	ipc := func(iface *int, cidr, gw string) *types100.IPConfig {
		ip, n, _ := net.ParseCIDR(cidr)
		n.IP = ip
		return &types100.IPConfig{Interface: iface, Address: *n, Gateway: net.ParseIP(gw)}
	}
	ptp := []*types100.Interface{{Name: "veth1234"}, {Name: "eth0", Sandbox: "/run/netns/x"}}
	for _, tc := range []struct {
		name         string
		res          types.Result
		ips, gws     string
		veth, errMsg string
	}{
		{name: "ptp dual stack", res: &types100.Result{CNIVersion: "1.0.0", Interfaces: ptp,
			IPs: []*types100.IPConfig{ipc(idx(1), "10.1.0.5/24", "10.1.0.1"), ipc(idx(1), "fd00:1::5/64", "fd00:1::1")}},
			ips: "[10.1.0.5 fd00:1::5]", gws: "[10.1.0.1 fd00:1::1]", veth: "veth1234"},
		{name: "cilium: IPv6 first, no gateways, no interface index", res: &types100.Result{CNIVersion: "1.0.0",
			Interfaces: []*types100.Interface{{Name: "lxc0a1b"}, {Name: "eth0", Sandbox: "/run/netns/x"}},
			IPs:        []*types100.IPConfig{ipc(nil, "fd00:10::7/128", ""), ipc(nil, "10.0.1.7/32", "")}},
			ips: "[fd00:10::7 10.0.1.7]", gws: "[]", veth: "lxc0a1b"},
		{name: "node-side address skipped, one per family", res: &types100.Result{CNIVersion: "1.0.0", Interfaces: ptp,
			IPs: []*types100.IPConfig{ipc(idx(0), "10.1.0.1/32", ""), ipc(idx(1), "10.1.0.5/24", ""), ipc(idx(1), "10.1.0.6/24", "")}},
			ips: "[10.1.0.5]", gws: "[]", veth: "veth1234"},
		{name: "bridge: the host veth, not the bridge", res: &types100.Result{CNIVersion: "1.0.0",
			Interfaces: []*types100.Interface{{Name: "cni0"}, {Name: "veth9"}, {Name: "eth0", Sandbox: "/run/netns/x"}},
			IPs:        []*types100.IPConfig{ipc(idx(2), "10.22.0.2/16", "10.22.0.1")}},
			ips: "[10.22.0.2]", gws: "[10.22.0.1]", veth: "veth9"},
		{name: "an old result version", res: &types040.Result{CNIVersion: "0.3.1",
			IPs: []*types040.IPConfig{{Address: net.IPNet{IP: net.ParseIP("10.9.0.3").To4(), Mask: net.CIDRMask(24, 32)}}}},
			ips: "[10.9.0.3]", gws: "[]"},
		{name: "no address", res: &types100.Result{CNIVersion: "1.0.0", Interfaces: ptp}, errMsg: "no IP address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := applyResult(PodNetwork{Netns: "x", HostVeth: ""}, tc.res)
			if tc.errMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errMsg) {
					t.Errorf("error = %v, want %q", err, tc.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := addrs(p.IPs); got != tc.ips {
				t.Errorf("IPs = %s, want %s", got, tc.ips)
			}
			if got := addrs(p.Gateways); got != tc.gws {
				t.Errorf("gateways = %s, want %s", got, tc.gws)
			}
			if p.HostVeth != tc.veth {
				t.Errorf("host veth = %q, want %q", p.HostVeth, tc.veth)
			}
		})
	}
}

func addrs(a []netip.Addr) string {
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = x.String()
	}
	return "[" + strings.Join(s, " ") + "]"
}

func TestOrderPodIPs(t *testing.T) {
	v4, v6 := netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("fd00::5")
	for _, tc := range []struct {
		name      string
		in        []netip.Addr
		primaryV4 bool
		want      []netip.Addr
	}{
		{"v4 node, v6 first from the plugin", []netip.Addr{v6, v4}, true, []netip.Addr{v4, v6}},
		{"v6 node, v4 first from the plugin", []netip.Addr{v4, v6}, false, []netip.Addr{v6, v4}},
		{"v6 node, v4 only", []netip.Addr{v4}, false, []netip.Addr{v4}},
		{"v4 node, v6 only", []netip.Addr{v6}, true, []netip.Addr{v6}},
		{"in order already", []netip.Addr{v4, v6}, true, []netip.Addr{v4, v6}},
	} {
		if got := orderPodIPs(tc.in, tc.primaryV4); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// fakeCNI answers GetCachedAttachments with its attachments.
type fakeCNI struct {
	libcni.CNI
	atts []*libcni.NetworkAttachment
}

func (f *fakeCNI) GetCachedAttachments(string) ([]*libcni.NetworkAttachment, error) {
	return f.atts, nil
}

func TestCNIPodNetworks(t *testing.T) {
	args := func(ns, name string) [][2]string {
		return [][2]string{{"IgnoreUnknown", "1"}, {"K8S_POD_NAMESPACE", ns}, {"K8S_POD_NAME", name}}
	}
	n := &cniNetwork{lab: "lab", list: &libcni.NetworkConfigList{Name: "lab"}, cni: &fakeCNI{atts: []*libcni.NetworkAttachment{
		{ContainerID: "uid-1", Network: "lab", IfName: "eth0", NetNS: "/run/netns/lab_pod-uid-1", CniArgs: args("default", "web-1")},
		{ContainerID: "uid-2", Network: "other", IfName: "eth0", NetNS: "/run/netns/lab_pod-uid-2"},
		{ContainerID: "uid-3", Network: "lab", IfName: "net1", NetNS: "/run/netns/lab_pod-uid-3"},
		{ContainerID: "uid-4", Network: "lab", IfName: "eth0", NetNS: "/run/netns/lab2_pod-uid-4"},
	}}}
	got, err := n.PodNetworks()
	if err != nil {
		t.Fatal(err)
	}
	want := []PodNetwork{{Netns: "lab_pod-uid-1", PodUID: "uid-1", PodNamespace: "default", PodName: "web-1"}}
	if len(got) != 1 || got[0].Netns != want[0].Netns || got[0].PodUID != want[0].PodUID ||
		got[0].PodNamespace != "default" || got[0].PodName != "web-1" || got[0].HostVeth != "" {
		t.Errorf("pod networks = %+v, want %+v", got, want)
	}
}
