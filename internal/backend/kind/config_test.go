package kind

import (
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"

	"github.com/lblab/lblab/internal/testutil/golden"
	"github.com/lblab/lblab/internal/topology"
)

// loadTopology loads a bundled topology with a data plane and family.
func loadTopology(t *testing.T, name string, dp topology.Dataplane) *topology.Topology {
	t.Helper()
	topo, err := topology.Load(filepath.Join("..", "..", "..", "topologies", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	topo.Dataplane = dp
	if err := topology.Validate(topo); err != nil {
		t.Fatal(err)
	}
	return topo
}

var familyTopologies = map[topology.IPFamily]string{
	topology.IPv4: "bgp-ecmp", topology.IPv6: "bgp-ecmp-v6", topology.Dual: "bgp-ecmp-dual",
}

// Every data plane × family has a golden kind config (ebpf on ipv6
// included: Cilium tunnels over an IPv6 underlay there).
func TestKindConfigGolden(t *testing.T) {
	for _, dp := range topology.Dataplanes {
		for _, fam := range []topology.IPFamily{topology.IPv4, topology.IPv6, topology.Dual} {
			t.Run(string(dp)+"-"+string(fam), func(t *testing.T) {
				topo := loadTopology(t, familyTopologies[fam], dp)
				cfg := kindConfig(topo)
				data, err := marshalConfig(cfg)
				if err != nil {
					t.Fatal(err)
				}
				golden.Assert(t, filepath.Join("testdata", "kind-config-"+string(dp)+"-"+string(fam)+".yaml"), data)

				// kind reads it back into the same cluster.
				var back v1alpha4.Cluster
				if err := yaml.UnmarshalStrict(data, &back); err != nil {
					t.Fatalf("kind's v1alpha4 types reject the config: %v", err)
				}
				v1alpha4.SetDefaultsCluster(&back)
				if len(back.Nodes) != len(topo.Nodes.List) || back.Networking.IPFamily != v1alpha4.ClusterIPFamily(fam) {
					t.Errorf("round trip: %d nodes, family %s", len(back.Nodes), back.Networking.IPFamily)
				}
				for _, n := range back.Nodes {
					if n.Image != nodeImage || !strings.Contains(n.Image, "@sha256:") {
						t.Errorf("node image %q is not the pinned digest", n.Image)
					}
				}
			})
		}
	}
}

func TestKindConfigLabelsAndNames(t *testing.T) {
	topo := loadTopology(t, "bgp-pools", topology.DataplaneIPTables)
	cfg := kindConfig(topo)
	if got := cfg.Nodes[4].Labels["node.kubernetes.io/exclude-from-external-load-balancers"]; got != "true" {
		t.Errorf("node4's exclude label is %q in the kind config", got)
	}
	want := []string{"bgp-pools-control-plane", "bgp-pools-worker", "bgp-pools-worker2", "bgp-pools-worker3", "bgp-pools-worker4"}
	if got := kindNodeNames(topo); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("kind node names = %v, want %v", got, want)
	}
}
