package install_test

import (
	"context"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/controller/internal/kubetest"
	"github.com/lblab/lblab/internal/topology"
)

func labTopology(t *testing.T) *topology.Topology {
	t.Helper()
	topo, err := topology.Decode([]byte(`apiVersion: lblab.dev/v1alpha1
kind: Topology
name: it
network: {ipFamily: dual, ipv4Subnet: 10.89.7.0/24, ipv6Subnet: "fd00:89:7::/64"}
`))
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// TestIntegrationInstall installs twice on a real kube-apiserver (nothing
// changes the second time), and checks the ServiceAccounts' permissions
// and minted-token kubeconfigs.
func TestIntegrationInstall(t *testing.T) {
	s := kubetest.Start(t)
	ctx := context.Background()
	topo := labTopology(t)
	if err := install.Install(ctx, s.Config, topo, nil); err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	before := versions(t, dyn)
	if len(before) != 5 {
		t.Fatalf("want 1 pool, 2 peers, 1 advertisement and the namespace, got %v", before)
	}
	if err := install.Install(ctx, s.Config, topo, nil); err != nil {
		t.Fatal(err)
	}
	if after := versions(t, dyn); !equal(before, after) {
		t.Fatalf("a second install changed objects:\n%v\n%v", before, after)
	}
	// A topology without IPv6 drops the IPv6 peer and renames the pool.
	v4 := labTopology(t)
	v4.Network.IPFamily, v4.Network.IPv6Subnet = topology.IPv4, ""
	v4.Controller.Pools = []topology.Pool{{Name: "v4", Addresses: []string{"198.51.100.0/24"}}}
	if err := install.Install(ctx, s.Config, v4, nil); err != nil {
		t.Fatal(err)
	}
	got := versions(t, dyn)
	if _, ok := got["bgppeers/tor-ipv6"]; ok || got["ippools/v4"] == "" || got["ippools/default"] != "" {
		t.Fatalf("after a topology change: %v", got)
	}
	t.Run("rbac", func(t *testing.T) { checkRBAC(t, s.Client(t)) })
	t.Run("token kubeconfig", func(t *testing.T) { checkToken(t, s) })
}

func versions(t *testing.T, dyn dynamic.Interface) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range []string{"ippools", "bgppeers", "bgpadvertisements"} {
		l, err := dyn.Resource(v1alpha1.GroupVersion.WithResource(r)).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range l.Items {
			out[r+"/"+o.GetName()] = o.GetResourceVersion()
		}
	}
	ns, err := dyn.Resource(nsGVR).Get(context.Background(), v1alpha1.Namespace, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out["namespace"] = ns.GetResourceVersion()
	return out
}

var nsGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

type access struct {
	ns, group, resource, sub, verb string
	allowed                        bool
}

func checkRBAC(t *testing.T, cs kubernetes.Interface) {
	ctrl := "system:serviceaccount:lblab-system:controller"
	spk := "system:serviceaccount:lblab-system:speaker"
	cases := map[string][]access{
		ctrl: {
			{"default", "", "services", "", "watch", true},
			{"default", "", "services", "status", "patch", true},
			{"default", "", "services", "", "update", false},
			{"default", "", "services", "", "delete", false},
			{"default", "", "events", "", "create", true},
			{"", "", "namespaces", "", "list", true},
			{"lblab-system", "coordination.k8s.io", "leases", "", "update", true},
			{"default", "coordination.k8s.io", "leases", "", "update", false},
			{"", "lblab.dev", "ippools", "", "watch", true},
			{"", "lblab.dev", "ippools", "status", "patch", true},
			{"", "lblab.dev", "ippools", "", "update", false},
			{"", "lblab.dev", "bgppeers", "status", "patch", true},
			{"", "lblab.dev", "bgpadvertisements", "status", "patch", true},
			{"lblab-system", "", "secrets", "", "get", false},
			{"", "", "nodes", "", "list", false},
		},
		spk: {
			{"default", "", "services", "", "watch", true},
			{"default", "", "services", "status", "patch", false},
			{"default", "discovery.k8s.io", "endpointslices", "", "watch", true},
			{"", "", "nodes", "", "watch", true},
			{"", "", "nodes", "", "update", false},
			{"lblab-system", "", "secrets", "", "watch", true},
			{"default", "", "secrets", "", "get", false},
			{"", "lblab.dev", "bgppeers", "", "list", true},
			{"", "lblab.dev", "ippools", "", "list", true},
			{"", "lblab.dev", "bgppeers", "", "update", false},
			{"", "lblab.dev", "speakerstatuses", "", "create", true},
			{"", "lblab.dev", "speakerstatuses", "status", "patch", true},
			{"", "lblab.dev", "speakerstatuses", "status", "update", false},
			{"", "lblab.dev", "speakerstatuses", "", "update", false},
			{"default", "", "events", "", "create", true},
			{"lblab-system", "coordination.k8s.io", "leases", "", "update", false},
			{"lblab-node-lease", "coordination.k8s.io", "leases", "", "update", true},
			{"lblab-node-lease", "coordination.k8s.io", "leases", "", "watch", true},
			{"", "lblab.dev", "l2advertisements", "", "watch", true},
		},
	}
	for user, list := range cases {
		for _, a := range list {
			sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user,
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: a.ns, Group: a.group, Resource: a.resource,
					Subresource: a.sub, Verb: a.verb}}}
			res, err := cs.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), sar, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status.Allowed != a.allowed {
				t.Errorf("%s %s %s/%s in %q: allowed=%v, want %v", user, a.verb, a.resource, a.sub, a.ns, res.Status.Allowed, a.allowed)
			}
		}
	}
}

func checkToken(t *testing.T, s *kubetest.Server) {
	data, err := install.TokenKubeconfig(context.Background(), s.Client(t), install.SpeakerServiceAccount, s.Config.Host, s.CAData, 0)
	if err == nil {
		t.Fatal("a zero TTL was accepted") // TokenRequest wants at least 10 minutes
	}
	data, err = install.TokenKubeconfig(context.Background(), s.Client(t), install.SpeakerServiceAccount, s.Config.Host, s.CAData, 3600e9)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	who, err := cs.AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if u := who.Status.UserInfo.Username; u != "system:serviceaccount:lblab-system:speaker" {
		t.Fatalf("token authenticates as %s", u)
	}
	if _, err := cs.CoreV1().Secrets("default").List(context.Background(), metav1.ListOptions{}); err == nil {
		t.Fatal("the speaker can list Secrets in default")
	}
	if _, err := cs.CoreV1().Secrets(v1alpha1.Namespace).List(context.Background(), metav1.ListOptions{}); err != nil {
		t.Fatalf("the speaker cannot list Secrets in lblab-system: %v", err)
	}
}
