package metallb

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/lblab/lblab/internal/testutil/golden"
	"github.com/lblab/lblab/internal/topology"
	"github.com/lblab/lblab/topologies"
)

// TestConfigGolden renders MetalLB's configuration for every bundled
// topology (or the error that refuses it) against testdata/<name>.yaml.
func TestConfigGolden(t *testing.T) {
	tor := []netip.Addr{netip.MustParseAddr("10.89.0.1"), netip.MustParseAddr("fd00:89::1")}
	for _, name := range topologies.Names() {
		t.Run(name, func(t *testing.T) {
			top, err := topology.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			objs, notes, err := Config(top, tor)
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
		{"dual", func(t *topology.Topology) {
			t.Network.IPFamily = topology.Dual
			t.Controller.Pools[0].Addresses = append(t.Controller.Pools[0].Addresses, "2001:db8:100::/120")
		}, ""},
		{"l2", func(t *topology.Topology) { t.Controller.Mode = topology.ModeL2 }, ""},
		{"l2 on IPv6 only", func(t *topology.Topology) {
			t.Controller.Mode, t.Network.IPFamily = topology.ModeL2, topology.IPv6
			t.Controller.Pools[0].Addresses = []string{"2001:db8::/120"}
		}, ""},
		{"bfd", func(t *topology.Topology) { t.TOR.BFD = &topology.BFD{} }, "tor.bfd"},
		{"ipv6 only", func(t *topology.Topology) { t.Network.IPFamily = topology.IPv6 }, "network.ipFamily"},
		{"no v4 pool", func(t *topology.Topology) { t.Controller.Pools[0].Addresses = []string{"2001:db8::/120"} }, "controller.pools"},
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
