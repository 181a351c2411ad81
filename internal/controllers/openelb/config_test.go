package openelb

import (
	"net/netip"
	"os"
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

// TestConfigGolden renders, for every bundled topology, OpenELB's Eips,
// BgpConf and BgpPeer and node1's manager process (or the error that
// refuses the topology) against testdata/<name>.yaml.
func TestConfigGolden(t *testing.T) {
	bins := components.Binaries{components.OpenELBManager: "/bin/openelb-manager"}
	nodes := []controllers.Node{{Name: "node1", IP: netip.MustParseAddr("10.89.0.11")}}
	for _, name := range topologies.Names() {
		t.Run(name, func(t *testing.T) {
			top, err := topology.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			objs, notes, err := Config(top, []netip.Addr{netip.MustParseAddr("10.89.0.1")})
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
				procs, err := Processes(bins, top, nodes)
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
		{"v6", func(t *topology.Topology) { t.Network.IPFamily = topology.IPv6 }, "network.ipFamily"},
		{"l2", func(t *topology.Topology) { t.Controller.Mode = topology.ModeL2 }, "controller.mode"},
		{"bfd", func(t *topology.Topology) { t.TOR.BFD = &topology.BFD{} }, "tor.bfd"},
		{"two ranges", func(t *topology.Topology) {
			t.Controller.Pools[0].Addresses = append(t.Controller.Pools[0].Addresses, "203.0.113.0/28")
		}, "controller.pools[0].addresses"},
		{"v6 range", func(t *topology.Topology) { t.Controller.Pools[0].Addresses = []string{"2001:db8::/120"} }, "controller.pools[0].addresses"},
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

func TestAnnotations(t *testing.T) {
	for _, tc := range []struct {
		pool string
		want int
	}{{"", 2}, {"public", 3}} {
		a := Annotations(tc.pool)
		if len(a) != tc.want || a[AnnotationLB] != "openelb" || a[AnnotationProtocol] != "bgp" || a[AnnotationEip] != tc.pool {
			t.Errorf("Annotations(%q) = %v", tc.pool, a)
		}
	}
}

func TestWebhookCert(t *testing.T) {
	tmp := t.TempDir()
	if err := WebhookCert(tmp); err != nil {
		t.Fatal(err)
	}
	crt := filepath.Join(tmp, CertDir, "tls.crt")
	first, err := os.ReadFile(crt)
	if err != nil {
		t.Fatal(err)
	}
	if err := WebhookCert(tmp); err != nil { // kept, not remade
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(crt); string(again) != string(first) {
		t.Error("a second WebhookCert replaced the certificate")
	}
}
