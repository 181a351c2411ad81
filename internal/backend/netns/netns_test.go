package netns

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/status"
	"github.com/lblab/lblab/internal/testutil/golden"
	"github.com/lblab/lblab/internal/topology"
	"github.com/lblab/lblab/internal/uml"
)

// fakeBackend returns a backend whose every side effect is recorded.
func fakeBackend(t *testing.T, namespaces ...string) (*backend, *run.Recorder) {
	t.Helper()
	t.Setenv(lab.EnvStateDir, t.TempDir())
	t.Setenv(lab.EnvRunDir, t.TempDir())
	rec := &run.Recorder{}
	rec.Fail("ip link show dev", 1, "Device does not exist")
	rec.Fail("ip -j addr show dev", 1, "Device does not exist")
	b := New(Options{Runner: rec}).(*backend)
	b.capEff = func() (uint64, error) { return ^uint64(0), nil }
	b.lookPath = func(p string) (string, error) { return p, nil }
	b.stat = func(string) (os.FileInfo, error) { return nil, nil }
	b.listNetns = func() ([]string, error) { return namespaces, nil }
	b.hostRoutes = func(string) ([]inUse, error) { return nil, nil }
	b.labPIDs = func(string, []string) ([]int, error) { return nil, nil }
	b.frrUser = func() (int, int, error) { return os.Getuid(), os.Getgid(), nil }
	return b, rec
}

func loadLab(t *testing.T, name string, fabricOnly bool) *lab.Lab {
	t.Helper()
	topo, err := topology.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return lab.New(topo, lab.Options{FabricOnly: fabricOnly}, status.New(io.Discard, status.Options{}))
}

// transcript renders recorded commands with their stdin, one block each,
// with the test's temporary run dir replaced by a stable name.
func transcript(rec *run.Recorder) string {
	var b strings.Builder
	for _, c := range rec.Calls() {
		b.WriteString("$ " + c.String() + "\n")
		if c.Stdin != nil {
			in, _ := io.ReadAll(c.Stdin)
			for _, l := range strings.Split(strings.TrimRight(string(in), "\n"), "\n") {
				b.WriteString("  | " + l + "\n")
			}
		}
	}
	return strings.ReplaceAll(b.String(), os.Getenv(lab.EnvRunDir), "$RUN")
}

func TestProvisionFabricCommands(t *testing.T) {
	for _, topo := range []string{"bgp-ecmp", "bgp-ecmp-dual"} {
		t.Run(topo, func(t *testing.T) {
			b, rec := fakeBackend(t)
			l := loadLab(t, topo, true)
			if err := b.Provision(context.Background(), l); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join("testdata", "provision-"+topo+".golden"), []byte(transcript(rec)))
			conf, err := os.ReadFile(torInstance(l.Name).ConfigPath())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(conf), "bgp listen range 10.89.0.0/24 peer-group NODES") {
				t.Errorf("frr.conf lacks the node subnet listen range:\n%s", conf)
			}
			saved, err := lab.LoadTopology(l.Name)
			if err != nil || saved.Network.IPv4Subnet != "10.89.0.0/24" {
				t.Errorf("resolved topology not saved with its subnet: %v %+v", err, saved)
			}
		})
	}
}

func TestProvisionConvergesHealthyLab(t *testing.T) {
	l := loadLab(t, "bgp-ecmp", true)
	p := mustPlan(t, l)
	b, rec := fakeBackend(t, p.namespaces()...)
	// Every link exists and carries its addresses.
	*rec = run.Recorder{}
	rec.Respond("ip -n bgp-ecmp_fabric link show dev br0", "")
	for _, h := range p.hosts() {
		rec.Respond("ip -n "+h.ns+" -j addr show dev eth0", addrJSON("eth0", h.addrs))
	}
	rec.Respond("ip -n bgp-ecmp_tor -j addr show dev eth1", addrJSON("eth1", p.torUplink))
	rec.Respond("ip -j addr show dev "+p.hostLink, addrJSON(p.hostLink, p.mgmt))
	if err := b.Provision(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	for _, line := range rec.Lines() {
		if strings.Contains(line, "-batch") || strings.Contains(line, "netns add") {
			t.Errorf("a healthy lab was modified: %s", line)
		}
	}
}

func TestProvisionRebuildsBrokenHost(t *testing.T) {
	l := loadLab(t, "bgp-ecmp", true)
	p := mustPlan(t, l)
	// node2's namespace is gone (e.g. a killed up); everything else is fine.
	var present []string
	for _, ns := range p.namespaces() {
		if ns != "bgp-ecmp_node2" {
			present = append(present, ns)
		}
	}
	b, rec := fakeBackend(t, present...)
	*rec = run.Recorder{}
	rec.Respond("ip -n bgp-ecmp_fabric link show dev br0", "")
	rec.Fail("ip -n bgp-ecmp_fabric link show dev node2", 1, "Device does not exist")
	for _, h := range p.hosts() {
		if h.name != "node2" {
			rec.Respond("ip -n "+h.ns+" -j addr show dev eth0", addrJSON("eth0", h.addrs))
		}
	}
	rec.Respond("ip -n bgp-ecmp_tor -j addr show dev eth1", addrJSON("eth1", p.torUplink))
	rec.Respond("ip -j addr show dev "+p.hostLink, addrJSON(p.hostLink, p.mgmt))
	if err := b.Provision(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("testdata", "converge-node2.golden"), []byte(transcript(rec)))
	if got := strings.Join(l.Changes(), "; "); !strings.Contains(got, "rebuilt host node2") {
		t.Errorf("changes = %q", got)
	}
}

func TestDeleteFindsEverythingByName(t *testing.T) {
	b, rec := fakeBackend(t, "bgp-ecmp_fabric", "bgp-ecmp_tor", "bgp-ecmp_pod-1234abcd", "bgp-ecmp-dual_tor", "other")
	if err := b.Delete(context.Background(), "bgp-ecmp"); err != nil {
		t.Fatal(err)
	}
	got := transcript(rec)
	for _, want := range []string{"netns del bgp-ecmp_fabric", "netns del bgp-ecmp_tor", "netns del bgp-ecmp_pod-1234abcd"} {
		if !strings.Contains(got, want) {
			t.Errorf("Delete did not run %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "bgp-ecmp-dual") || strings.Contains(got, "other") {
		t.Errorf("Delete touched another lab:\n%s", got)
	}
}

func TestDeleteAbsentLab(t *testing.T) {
	b, rec := fakeBackend(t)
	if err := b.Delete(context.Background(), "nothing-here"); err != nil {
		t.Fatalf("deleting an absent lab must succeed: %v", err)
	}
	for _, l := range rec.Lines() {
		if strings.Contains(l, "del") {
			t.Errorf("unexpected deletion: %s", l)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name      string
		dataplane topology.Dataplane
		missing   []string
		caps      uint64
		noIPVS    bool
		kernel    topology.NodeKernel
		noUML     bool
		want      []string
		// wantKernel is the node kernel Check chose.
		wantKernel topology.NodeKernel
	}{
		{name: "ok", dataplane: topology.DataplaneIPTables, caps: ^uint64(0), wantKernel: topology.NodeKernelHost},
		{name: "not root", dataplane: topology.DataplaneIPTables, caps: 0, want: []string{"needs root"}},
		{name: "no frr", dataplane: topology.DataplaneIPTables, caps: ^uint64(0),
			missing: []string{"/usr/lib/frr/zebra", "/usr/lib/frr/bgpd", "vtysh"},
			want:    []string{"install the Debian package frr (apt-get install frr)", "/usr/lib/frr/zebra", "make setup"}},
		{name: "no nft", dataplane: topology.DataplaneNFTables, caps: ^uint64(0), missing: []string{"nft"},
			want: []string{"apt-get install nftables"}},
		{name: "ipvs on a host kernel without IPVS", dataplane: topology.DataplaneIPVS, caps: ^uint64(0), noIPVS: true,
			kernel: topology.NodeKernelHost,
			want:   []string{"CONFIG_IP_VS", "--node-kernel uml", "--dataplane iptables or nftables", "kind backend"}},
		{name: "ipvs without IPVS chooses uml", dataplane: topology.DataplaneIPVS, caps: ^uint64(0), noIPVS: true,
			wantKernel: topology.NodeKernelUML},
		{name: "ipvs with IPVS stays on the host", dataplane: topology.DataplaneIPVS, caps: ^uint64(0),
			wantKernel: topology.NodeKernelHost},
		{name: "uml without the package", dataplane: topology.DataplaneIPVS, caps: ^uint64(0), noIPVS: true, noUML: true,
			want: []string{"nodeKernel uml", "apt-get install user-mode-linux"}},
		{name: "nftables on uml", dataplane: topology.DataplaneNFTables, caps: ^uint64(0), kernel: topology.NodeKernelUML,
			want: []string{"nftables cannot run on nodeKernel uml", "CONFIG_NF_TABLES_IPV4", "--node-kernel host"}},
		{name: "ebpf without clang 19", dataplane: topology.DataplaneEBPF, caps: ^uint64(0), noIPVS: true,
			want: []string{"dataplane ebpf", components.ClangPath, "clang-19", "make setup"}},
		{name: "ebpf on uml", dataplane: topology.DataplaneEBPF, caps: ^uint64(0), kernel: topology.NodeKernelUML,
			want: []string{"dataplane ebpf runs on nodeKernel host only", "--node-kernel host"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := fakeBackend(t)
			b.capEff = func() (uint64, error) { return tt.caps, nil }
			b.lookPath = func(p string) (string, error) {
				for _, m := range tt.missing {
					if p == m {
						return "", errors.New("not found")
					}
				}
				return p, nil
			}
			if tt.noIPVS {
				b.stat = func(string) (os.FileInfo, error) { return nil, os.ErrNotExist }
			}
			b.findUML = func(string) (uml.Kernel, error) {
				if tt.noUML {
					return uml.Kernel{}, errors.New("no user-mode Linux kernel at /usr/bin/linux.uml: " + uml.Install)
				}
				return uml.Kernel{Binary: "/usr/bin/linux.uml"}, nil
			}
			l := loadLab(t, "bgp-ecmp", false)
			l.Topology.Dataplane = tt.dataplane
			l.Topology.NodeKernel = tt.kernel
			err := b.Check(context.Background(), l)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if l.Topology.NodeKernel != tt.wantKernel {
					t.Errorf("node kernel %q, want %q", l.Topology.NodeKernel, tt.wantKernel)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func mustPlan(t *testing.T, l *lab.Lab) *plan {
	t.Helper()
	l.Topology.Network.IPv4Subnet = "10.89.0.0/24"
	p, err := newPlan(l.Topology)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
