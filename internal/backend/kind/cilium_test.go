package kind

import (
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/lblab/lblab/internal/testutil/golden"
	"github.com/lblab/lblab/internal/topology"
)

func TestCiliumValuesGolden(t *testing.T) {
	for fam, name := range map[string]string{"ipv4": "bgp-ecmp", "dual": "bgp-ecmp-dual"} {
		t.Run(fam, func(t *testing.T) {
			topo := loadTopology(t, name, topology.DataplaneEBPF)
			vals := ciliumValues(topo, kindNodeNames(topo)[0])
			data, err := yaml.Marshal(vals)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join("testdata", "cilium-values-"+fam+".yaml"), data)
		})
	}
}

// renderChart renders like `helm install`: chart defaults merged with our
// values, the cluster's version in .Capabilities, hooks and NOTES.txt left
// out, objects in Helm's install order, namespaced ones in the release's
// namespace.
func TestRenderChart(t *testing.T) {
	topo := loadTopology(t, "bgp-ecmp", topology.DataplaneEBPF)
	objs, err := renderChart("testdata/chart", ciliumValues(topo, "bgp-ecmp-control-plane"), "kube-system", "v1.37.0")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName())
	}
	want := []string{"ServiceAccount kube-system/agent", "ClusterRole /agent", "DaemonSet kube-system/agent"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("objects = %v, want %v", got, want)
	}
	data, _ := yaml.Marshal(objs[2].Object)
	for _, w := range []string{"value: bgp-ecmp-control-plane", `value: "true"`, `value: "37"`,
		"image: example/agent:v1@sha256:"} {
		if !strings.Contains(string(data), w) {
			t.Errorf("rendered DaemonSet lacks %q:\n%s", w, data)
		}
	}
	if _, err := renderChart("testdata/chart", nil, "kube-system", "v1.29.0"); err == nil ||
		!strings.Contains(err.Error(), "kubeVersion") {
		t.Errorf("a chart that needs a newer Kubernetes rendered: %v", err)
	}
}
