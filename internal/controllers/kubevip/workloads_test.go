package kubevip

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/topology"
)

// The DaemonSet's environment is netns's (env) with the node's values
// taken from the Pod's node, and it runs the pinned image on every node.
func TestDaemonSet(t *testing.T) {
	top, err := topology.Load("bgp-ecmp")
	if err != nil {
		t.Fatal(err)
	}
	tor := netip.MustParseAddr("172.18.0.2")
	u, err := DaemonSet(top, tor)
	if err != nil {
		t.Fatal(err)
	}
	var ds appsv1.DaemonSet
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &ds); err != nil {
		t.Fatal(err)
	}
	c := ds.Spec.Template.Spec.Containers[0]
	if c.Image != Image || Image != "ghcr.io/kube-vip/kube-vip:v1.0.0" || !slices.Equal(c.Args, []string{"manager"}) {
		t.Errorf("container runs %s %v", c.Image, c.Args)
	}
	if !ds.Spec.Template.Spec.HostNetwork || ds.Spec.Template.Spec.ServiceAccountName != KubeVIPServiceAccount {
		t.Errorf("pod spec %+v", ds.Spec.Template.Spec)
	}
	netns := env(top, netip.MustParseAddr("10.89.0.11"), "node1", tor)
	if len(c.Env) != len(netns) {
		t.Fatalf("%d variables, netns has %d: %v", len(c.Env), len(netns), netns)
	}
	for i, kv := range netns {
		k, v, _ := strings.Cut(kv, "=")
		e := c.Env[i]
		switch {
		case e.Name != k:
			t.Errorf("env[%d] is %s, netns has %s", i, e.Name, k)
		case k == "vip_nodename" || k == "bgp_routerid":
			if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil {
				t.Errorf("%s is not taken from the Pod's node: %+v", k, e)
			}
		case k == "prometheus_server":
			if e.Value != ":2112" {
				t.Errorf("prometheus_server = %q", e.Value)
			}
		case e.Value != v:
			t.Errorf("%s = %q, netns has %q", k, e.Value, v)
		}
	}

	if _, err := DaemonSet(top, netip.MustParseAddr("fc00::2")); err == nil || !strings.Contains(err.Error(), "no IPv4 address") {
		t.Errorf("an IPv6 TOR: %v", err)
	}
	top.Network.IPFamily = topology.Dual
	if _, err := DaemonSet(top, tor); err == nil || !strings.Contains(err.Error(), "network.ipFamily") {
		t.Errorf("a dual-stack topology: %v", err)
	}
}

// CloudProvider is the module's Deployment, with the pinned image.
func TestCloudProvider(t *testing.T) {
	if _, err := CloudProvider(t.TempDir()); err == nil || !strings.Contains(err.Error(), "kube-vip-cloud-provider@v0.0.12") {
		t.Errorf("no manifest: %v", err)
	}
	src, err := components.Source(context.Background(), components.Options{}, "kube-vip-cloud-provider", "github.com/kube-vip/kube-vip-cloud-provider")
	if err != nil {
		t.Fatalf("kube-vip-cloud-provider's module is not available (%v); the test reads its manifests", err)
	}
	objs, err := CloudProvider(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].GetKind() != "Deployment" || objs[0].GetName() != CloudProviderDeployment {
		t.Errorf("objects %v", objs)
	}
}
