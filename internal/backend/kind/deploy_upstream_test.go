package kind

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/lblab/lblab/internal/controllers/metallb"
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/testutil/golden"
	"github.com/lblab/lblab/internal/topology"
)

// moduleSource finds a controller's module as Deploy does
// (components.Source: the Go module cache, else the proxy), and fails the
// test when it cannot: the objects are read from the modules' own files.
func moduleSource(t *testing.T) func(module, path string) (string, error) {
	return func(module, path string) (string, error) {
		dir, err := components.Source(context.Background(), components.Options{}, module, path)
		if err != nil {
			t.Fatalf("module %s is neither in the Go module cache nor downloadable (%v); these tests read its manifests", path, err)
		}
		return dir, nil
	}
}

// The TOR's addresses on the kind network in the golden files.
var goldenTOR = []netip.Addr{netip.MustParseAddr("172.18.0.2"), netip.MustParseAddr("fc00:f853:ccd:e793::2")}

// TestUpstreamObjectsGolden renders what Deploy applies for each other
// controller on bgp-ecmp and bgp-ecmp-dual (or the error that refuses the
// topology) against testdata/upstream-<controller>-<topology>.yaml
// (-update rewrites them).
func TestUpstreamObjectsGolden(t *testing.T) {
	for _, c := range []topology.ControllerType{topology.ControllerMetalLB, topology.ControllerKubeVIP, topology.ControllerOpenELB} {
		for _, topo := range []string{"bgp-ecmp", "bgp-ecmp-dual"} {
			t.Run(string(c)+"/"+topo, func(t *testing.T) {
				top, err := topology.Load(topo)
				if err != nil {
					t.Fatal(err)
				}
				top.Controller.Type = c
				var b strings.Builder
				b.WriteString("# what the kind backend's Deploy applies for " + upstreamName(c) + " on " + topo +
					" (TOR at 172.18.0.2 on the kind network)\n")
				objs, err := upstreamObjects(top, goldenTOR, moduleSource(t))
				if err != nil {
					b.WriteString("# refused: " + err.Error() + "\n")
				}
				for _, o := range objs {
					data, err := yaml.Marshal(o.Object)
					if err != nil {
						t.Fatal(err)
					}
					b.WriteString("---\n")
					b.Write(data)
				}
				golden.Assert(t, filepath.Join("testdata", "upstream-"+string(c)+"-"+topo+".yaml"), []byte(b.String()))
			})
		}
	}
}

// What each controller's objects must be, whatever else the golden files
// show: the pinned upstream images, and for kube-vip the TOR as its peer.
func TestUpstreamObjects(t *testing.T) {
	for _, tt := range []struct {
		c       topology.ControllerType
		objects []string // kind namespace/name, in apply order
		images  []string
	}{
		{topology.ControllerMetalLB, []string{"ConfigMap metallb-system/metallb-excludel2", "Secret metallb-system/metallb-webhook-cert",
			"Service metallb-system/metallb-webhook-service", "Deployment metallb-system/controller", "DaemonSet metallb-system/speaker",
			"ValidatingWebhookConfiguration /metallb-webhook-configuration"},
			[]string{"quay.io/metallb/controller:v0.15.2", "quay.io/metallb/speaker:v0.15.2"}},
		{topology.ControllerKubeVIP, []string{"Deployment kube-system/kube-vip-cloud-provider", "DaemonSet kube-system/kube-vip-ds"},
			[]string{"ghcr.io/kube-vip/kube-vip-cloud-provider:v0.0.12", "ghcr.io/kube-vip/kube-vip:v1.0.0"}},
		{topology.ControllerOpenELB, []string{"Service openelb-system/openelb-admission", "DaemonSet openelb-system/openelb-manager",
			"Job openelb-system/openelb-admission-create", "Job openelb-system/openelb-admission-patch",
			"MutatingWebhookConfiguration /openelb-admission", "ValidatingWebhookConfiguration /openelb-admission"},
			[]string{"k8s.gcr.io/ingress-nginx/kube-webhook-certgen:v1.1.1", "kubesphere/openelb:v0.5.0"}},
	} {
		t.Run(string(tt.c), func(t *testing.T) {
			top, err := topology.Load("bgp-ecmp")
			if err != nil {
				t.Fatal(err)
			}
			top.Controller.Type = tt.c
			objs, err := upstreamObjects(top, goldenTOR, moduleSource(t))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName())
			}
			if !slices.Equal(got, tt.objects) {
				t.Errorf("objects:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.objects, "\n  "))
			}
			if images, _ := chartImages(objs); !slices.Equal(images, tt.images) {
				t.Errorf("images %v, want %v", images, tt.images)
			}
			if tt.c == topology.ControllerKubeVIP {
				data, _ := objs[1].MarshalJSON()
				if !strings.Contains(string(data), `"value":"172.18.0.2:64496::false"`) {
					t.Errorf("kube-vip's DaemonSet does not peer with the TOR at 172.18.0.2: %s", data)
				}
			}
		})
	}
}

// Deploy of another controller reads its module, deletes MetalLB's netns
// speaker Pod objects (not the DaemonSet's Pods), applies the upstream
// objects in one batch, and then waits for each workload.
func TestDeployUpstream(t *testing.T) {
	for _, c := range []topology.ControllerType{topology.ControllerMetalLB, topology.ControllerKubeVIP, topology.ControllerOpenELB} {
		t.Run(string(c), func(t *testing.T) {
			h := newHarness(t)
			topo, l := h.newTestLab(t, "bgp-ecmp", "")
			topo.Controller.Type = c
			h.docker.containers[torName(l.Name)] = &fakeContainer{running: true, files: map[string][]byte{},
				addrs: []netip.Addr{netip.MustParseAddr("172.18.0.9")}}
			var sources []string
			src := moduleSource(t)
			h.b.source = func(_ context.Context, _ *lab.Lab, module, path string) (string, error) {
				sources = append(sources, path)
				return src(module, path)
			}
			h.b.binary = func(context.Context) ([]byte, error) {
				return nil, errors.New("no lblab image for upstream controllers")
			}
			h.kube.pods = []corev1.Pod{
				{ObjectMeta: metav1.ObjectMeta{Name: "speaker-bgp-ecmp-worker", Namespace: metallb.Namespace,
					Annotations: map[string]string{metallb.RunsAsAnnotation: "a process"}}},
				{ObjectMeta: metav1.ObjectMeta{Name: "speaker-x7k2p", Namespace: metallb.Namespace,
					OwnerReferences: []metav1.OwnerReference{{Kind: "DaemonSet", Name: "speaker"}}}},
			}
			if err := h.b.Deploy(context.Background(), l); err != nil {
				t.Fatal(err)
			}
			want, err := upstreamObjects(topo, []netip.Addr{netip.MustParseAddr("172.18.0.9")}, src)
			if err != nil {
				t.Fatal(err)
			}
			if len(h.kube.applied) != len(want) {
				t.Fatalf("applied %d objects, want %d", len(h.kube.applied), len(want))
			}
			for i := range want {
				g, _ := h.kube.applied[i].MarshalJSON()
				w, _ := want[i].MarshalJSON()
				if string(g) != string(w) {
					t.Errorf("applied[%d] = %s\nwant %s", i, g, w)
				}
			}
			var wantCallsList []string
			if c == topology.ControllerMetalLB {
				wantCallsList = append(wantCallsList, "list pods metallb-system app=metallb,component=speaker",
					"delete pod metallb-system/speaker-bgp-ecmp-worker")
			}
			wantCallsList = append(wantCallsList, "apply "+strconv.Itoa(len(want))+" objects")
			for _, o := range want {
				switch o.GetKind() {
				case "Deployment":
					wantCallsList = append(wantCallsList, "get deployment "+o.GetNamespace()+"/"+o.GetName())
				case "DaemonSet":
					wantCallsList = append(wantCallsList, "list daemonsets "+o.GetNamespace())
				case "Job":
					wantCallsList = append(wantCallsList, "get job "+o.GetNamespace()+"/"+o.GetName())
				}
			}
			wantCalls(t, h.kube.calls, wantCallsList)
			if len(sources) != 1 {
				t.Errorf("read modules %v, want one", sources)
			}

			// A second up applies the same objects again (server-side
			// apply: nothing changes in a cluster that has them).
			first := h.kube.applied
			h.kube.applied, h.kube.pods = nil, nil
			if err := h.b.Deploy(context.Background(), l); err != nil {
				t.Fatal(err)
			}
			for i := range first {
				g, _ := h.kube.applied[i].MarshalJSON()
				w, _ := first[i].MarshalJSON()
				if string(g) != string(w) {
					t.Errorf("the second Deploy applied %s, the first %s", g, w)
				}
			}
		})
	}
}

// pendingJobs is a cluster where no Job succeeds (say, the certgen image
// cannot be pulled).
type pendingJobs struct{ *fakeKube }

func (p pendingJobs) Job(_ context.Context, ns, name string) (*batchv1.Job, error) {
	return &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}, nil
}

// Deploy's errors name what is missing: the module it reads, and at the
// deadline what did not come up and where to look.
func TestDeployUpstreamErrors(t *testing.T) {
	h := newHarness(t)
	topo, l := h.newTestLab(t, "bgp-ecmp", "")
	topo.Controller.Type = topology.ControllerOpenELB
	h.b.source = func(context.Context, *lab.Lab, string, string) (string, error) {
		return "", errors.New("go: command not found")
	}
	err := h.b.Deploy(context.Background(), l)
	if err == nil || !strings.Contains(err.Error(), "runs OpenELB v0.5.0 from its own manifests, read from module github.com/openelb/openelb in the Go module cache") ||
		!strings.Contains(err.Error(), "go: command not found") {
		t.Errorf("Deploy without the module = %v", err)
	}

	src := moduleSource(t)
	h.b.source = func(_ context.Context, _ *lab.Lab, module, path string) (string, error) { return src(module, path) }
	h.b.kube = func(string) (kubeClient, error) { return pendingJobs{h.kube}, nil }
	h.b.timeout = 50 * time.Millisecond
	err = h.b.Deploy(context.Background(), l)
	for _, want := range []string{"OpenELB v0.5.0 did not come up within 50ms", "Job openelb-system/openelb-admission-create has not succeeded",
		"k8s.gcr.io/ingress-nginx/kube-webhook-certgen:v1.1.1", "lblab kubectl --name bgp-ecmp -- get pods -A"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Deploy with a Job that never succeeds = %v\nwant it to say %q", err, want)
		}
	}

	topo.Controller.Type = topology.ControllerKubeVIP
	delete(h.docker.containers, torName(l.Name))
	if err := h.b.Deploy(context.Background(), l); err == nil || !strings.Contains(err.Error(), "the TOR is kube-vip's BGP peer") {
		t.Errorf("Deploy of kube-vip without a TOR = %v", err)
	}
}
