package kind

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/lblab/lblab/internal/testutil/golden"
	"github.com/lblab/lblab/internal/topology"
)

// The values for each family: LB-IPAM off (lblab's controller owns the
// LoadBalancer IPs), and the VXLAN underlay in a family the nodes have.
func TestCiliumValuesGolden(t *testing.T) {
	tests := []struct {
		fam      topology.IPFamily
		underlay string
	}{{topology.IPv4, "ipv4"}, {topology.Dual, "ipv4"}, {topology.IPv6, "ipv6"}}
	for _, tt := range tests {
		t.Run(string(tt.fam), func(t *testing.T) {
			topo := loadTopology(t, familyTopologies[tt.fam], topology.DataplaneEBPF)
			vals := ciliumValues(topo, kindNodeNames(topo)[0])
			if vals["enableLBIPAM"] != false || vals["defaultLBServiceIPAM"] != "none" {
				t.Errorf("LB-IPAM is on: enableLBIPAM=%v defaultLBServiceIPAM=%v", vals["enableLBIPAM"], vals["defaultLBServiceIPAM"])
			}
			if vals["underlayProtocol"] != tt.underlay {
				t.Errorf("underlayProtocol = %v, want %s", vals["underlayProtocol"], tt.underlay)
			}
			data, err := yaml.Marshal(vals)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join("testdata", "cilium-values-"+string(tt.fam)+".yaml"), data)
		})
	}
}

// The chart archive is used only with the pinned checksum: a good download
// is cached, a bad one is refused and not kept, and a cached archive that
// changed is downloaded again.
func TestFetchChart(t *testing.T) {
	good, bad := []byte("the pinned archive"), []byte("another archive")
	serve := good
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(serve) }))
	defer srv.Close()
	want := sha256Hex(good)
	dir := t.TempDir()
	fetch := func() (string, error) {
		return fetchChart(context.Background(), srv.URL+"/c.tgz", want, dir, "c.tgz")
	}

	path, err := fetch()
	if data, _ := os.ReadFile(path); err != nil || string(data) != string(good) {
		t.Fatalf("good archive: %q, %v", data, err)
	}
	if err := os.WriteFile(path, bad, 0o644); err != nil { // changed in the cache
		t.Fatal(err)
	}
	if path, err = fetch(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != string(good) {
		t.Errorf("a changed cached archive was used: %q", data)
	}

	serve = bad
	_ = os.Remove(path)
	_, err = fetch()
	if err == nil || !strings.Contains(err.Error(), sha256Hex(bad)) || !strings.Contains(err.Error(), want) {
		t.Fatalf("bad archive: %v, want an error with both checksums", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the refused archive was kept: %v", err)
	}
}

// up -v names the images the chart runs and marks those pulled by tag.
func TestChartImages(t *testing.T) {
	objs, err := decodeManifests([]byte(`
kind: DaemonSet
spec: {template: {spec: {initContainers: [{image: "a:v1@sha256:00"}], containers: [{image: "b:v1"}, {image: "a:v1@sha256:00"}]}}}
---
kind: Deployment
spec: {template: {spec: {containers: [{image: "c:v2"}]}}}
---
kind: ConfigMap
data: {image: "not-an-image"}
`))
	if err != nil {
		t.Fatal(err)
	}
	all, byTag := chartImages(objs)
	if strings.Join(all, " ") != "a:v1@sha256:00 b:v1 c:v2" || strings.Join(byTag, " ") != "b:v1 c:v2" {
		t.Errorf("images %v, by tag %v", all, byTag)
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
