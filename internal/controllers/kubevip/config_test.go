package kubevip

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/lblab/lblab/internal/controllers"
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/testutil/golden"
	"github.com/lblab/lblab/internal/topology"
	"github.com/lblab/lblab/topologies"
)

// TestConfigGolden renders, for every bundled topology, the cloud
// provider's ConfigMap and node1's kube-vip command line and environment
// (or the error that refuses the topology) against testdata/<name>.yaml.
func TestConfigGolden(t *testing.T) {
	bins := components.Binaries{components.KubeVIP: "/bin/kube-vip", components.KubeVIPCloudProvider: "/bin/kube-vip-cloud-provider"}
	nodes := []controllers.Node{{Name: "node1", IP: netip.MustParseAddr("10.89.0.11")}}
	for _, name := range topologies.Names() {
		t.Run(name, func(t *testing.T) {
			top, err := topology.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			objs, notes, err := Config(top)
			if err != nil {
				b.WriteString("# refused: " + err.Error() + "\n")
			}
			for _, n := range notes {
				b.WriteString("# note: " + n + "\n")
			}
			for _, o := range objs {
				data, err := yaml.Marshal(o.Object)
				if err != nil {
					t.Fatal(err)
				}
				b.WriteString("---\n")
				b.Write(data)
			}
			if err == nil {
				procs, err := Processes(bins, top, nodes, netip.MustParseAddr("10.89.0.1"))
				if err != nil {
					t.Fatal(err)
				}
				data, err := yaml.Marshal(procs)
				if err != nil {
					t.Fatal(err)
				}
				b.WriteString("--- # processes\n")
				b.Write(data)
			}
			golden.Assert(t, filepath.Join("testdata", name+".yaml"), []byte(b.String()))
		})
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*topology.Topology)
		errSub string // "" = accepted
	}{
		{"bgp v4", func(*topology.Topology) {}, ""},
		{"dual", func(t *topology.Topology) { t.Network.IPFamily = topology.Dual }, "network.ipFamily"},
		{"l2", func(t *topology.Topology) { t.Controller.Mode = topology.ModeL2 }, ""},
		{"bfd", func(t *topology.Topology) { t.TOR.BFD = &topology.BFD{} }, "tor.bfd"},
		{"no auto-assigned pool", func(t *topology.Topology) {
			no := false
			t.Controller.Pools[0].AutoAssign = &no
		}, "controller.pools"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			top, err := topology.Load("bgp-ecmp")
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(top)
			err = Check(top)
			switch {
			case tc.errSub == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.errSub != "" && (err == nil || !strings.Contains(err.Error(), tc.errSub)):
				t.Fatalf("got %v, want an error naming %s", err, tc.errSub)
			}
		})
	}
}
