package speaker

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/iproute"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/testutil"
)

// k8sLab is a lab with Kubernetes, no controller, and `lblab speaker`
// running in every worker namespace.
type k8sLab struct {
	t       *testing.T
	name    string
	kube    kubernetes.Interface
	dyn     dynamic.Interface
	workers map[string]netip.Addr
	tor     netip.Addr
}

func startK8sLab(t *testing.T, name string) *k8sLab {
	t.Helper()
	testutil.Run(t, "down", "--name", name)
	testutil.MustRun(t, "up", "--name", name, "--controller", "none", "--no-workloads")
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	kubeconfig := filepath.Join(lab.StateDir(name), "kubeconfig")
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	l := &k8sLab{t: t, name: name, kube: kubernetes.NewForConfigOrDie(cfg), dyn: dynamic.NewForConfigOrDie(cfg), workers: map[string]netip.Addr{}}
	ctx := t.Context()
	if err := install.ApplyCRDs(ctx, l.dyn); err != nil {
		t.Fatal(err)
	}
	nodes, err := l.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		if _, excluded := n.Labels[corev1.LabelNodeExcludeBalancers]; excluded {
			continue
		}
		for _, a := range n.Status.Addresses {
			if ip, err := netip.ParseAddr(a.Address); a.Type == corev1.NodeInternalIP && err == nil && ip.Is4() {
				l.workers[n.Name] = ip
				l.tor = netip.PrefixFrom(ip, 24).Masked().Addr().Next()
			}
		}
	}
	if len(l.workers) != 3 {
		t.Fatalf("workers %v, want 3", l.workers)
	}
	for _, ns := range []string{v1alpha1.Namespace, "demo"} {
		if _, err := l.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	p := peer("tor", l.tor.String(), nil)
	p.Spec.HoldTime = &metav1.Duration{Duration: 9 * time.Second}
	if _, err := l.dyn.Resource(BGPPeersResource).Create(ctx, toUnstructured(t, p, "BGPPeer"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	a := adv("default", v1alpha1.BGPAdvertisementSpec{})
	if _, err := l.dyn.Resource(BGPAdvertisementsResource).Create(ctx, toUnstructured(t, a, "BGPAdvertisement"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for node := range l.workers {
		cmd := exec.Command("ip", "netns", "exec", name+"_"+node, testutil.Binary(t), "speaker", "--node", node, "--kubeconfig", kubeconfig)
		log, err := os.Create(filepath.Join(t.TempDir(), "speaker.log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()
			if t.Failed() {
				out, _ := os.ReadFile(log.Name())
				t.Logf("speaker on %s:\n%s", node, out)
			}
		})
	}
	return l
}

func (l *k8sLab) ips(nodes ...string) []netip.Addr {
	var out []netip.Addr
	for _, n := range nodes {
		out = append(out, l.workers[n])
	}
	return frr.SortAddrs(out)
}

// waitTOR waits until the TOR's BGP next hops and kernel route gateways
// for p both equal want.
func (l *k8sLab) waitTOR(p netip.Prefix, want []netip.Addr) {
	l.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var bgp, fib []netip.Addr
		out := testutil.MustRun(l.t, "exec", "--name", l.name, "tor", "--", "vtysh", "-c", "show bgp ipv4 unicast json").Stdout
		if rib, err := frr.ParseRIB([]byte(out)); err == nil {
			if r, ok := rib.Lookup(p); ok {
				bgp = r.SelectedNexthops()
			}
		}
		out = testutil.MustRun(l.t, "exec", "--name", l.name, "tor", "--", "ip", "-j", "route", "show", p.Addr().String()).Stdout
		if routes, err := iproute.Parse([]byte(out)); err == nil {
			if r, ok := iproute.Lookup(routes, p); ok {
				fib = r.Gateways()
			}
		}
		if slices.Equal(bgp, want) && slices.Equal(fib, want) {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("TOR route for %s: BGP next hops %v, kernel gateways %v; want %v", p, bgp, fib, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (l *k8sLab) setSlice(ctx context.Context, es *discoveryv1.EndpointSlice) {
	l.t.Helper()
	es.Namespace = "demo"
	c := l.kube.DiscoveryV1().EndpointSlices("demo")
	cur, err := c.Get(ctx, es.Name, metav1.GetOptions{})
	if err == nil {
		es.ResourceVersion = cur.ResourceVersion
		_, err = c.Update(ctx, es, metav1.UpdateOptions{})
	} else {
		_, err = c.Create(ctx, es, metav1.CreateOptions{})
	}
	if err != nil {
		l.t.Fatal(err)
	}
}

func TestIntegrationSpeakerKubernetes(t *testing.T) {
	testutil.Integration(t)
	l := startK8sLab(t, "spk-it-k8s")
	ctx := t.Context()

	// The controller's part, played by the test: a LoadBalancer Service with
	// an IP in its status and the pool annotation; the endpoint on node2.
	svc := lbService("web", nil, local)
	svc.Namespace = "demo"
	svc.Spec.Ports = []corev1.ServicePort{{Port: 80}}
	svc.Spec.AllocateLoadBalancerNodePorts = new(bool)
	created, err := l.kube.CoreV1().Services("demo").Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l.setSlice(ctx, slice("web", "web-1", ep{"node2", ready}))
	created.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "198.51.100.40"}}
	if _, err := l.kube.CoreV1().Services("demo").UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	lb := netip.MustParsePrefix("198.51.100.40/32")
	l.waitTOR(lb, l.ips("node2"))

	// The endpoint moves to node3, then a second one becomes ready on node1.
	l.setSlice(ctx, slice("web", "web-1", ep{"node2", notReady}, ep{"node3", ready}))
	l.waitTOR(lb, l.ips("node3"))
	l.setSlice(ctx, slice("web", "web-1", ep{"node1", ready}, ep{"node3", ready}))
	l.waitTOR(lb, l.ips("node1", "node3"))

	// Cluster policy: every node, endpoint or not.
	cur, err := l.kube.CoreV1().Services("demo").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	if _, err := l.kube.CoreV1().Services("demo").Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	l.waitTOR(lb, l.ips("node1", "node2", "node3"))

	// Visible state: each node's SpeakerStatus, and the gobgp CLI in a node.
	deadline := time.Now().Add(10 * time.Second)
	for node := range l.workers {
		for {
			var st v1alpha1.SpeakerStatus
			u, err := l.dyn.Resource(SpeakerStatusesResource).Get(ctx, node, metav1.GetOptions{})
			if err == nil {
				err = runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &st)
			}
			s := st.Status
			if err == nil && slices.Equal(s.Advertised, []string{lb.String()}) && len(s.Sessions) == 1 &&
				s.Sessions[0].State == "Established" && s.Sessions[0].PrefixesAdvertised == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("SpeakerStatus %s = %+v (%v), want one Established session advertising %s", node, s, err, lb)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	out, err := exec.Command("ip", "netns", "exec", l.name+"_node1", "gobgp", "neighbor").CombinedOutput()
	if err != nil || !strings.Contains(string(out), l.tor.String()) || !strings.Contains(string(out), "Establ") {
		t.Errorf("gobgp neighbor in node1: %v\n%s", err, out)
	}
	out, err = exec.Command("ip", "netns", "exec", l.name+"_node1", "gobgp", "global", "rib", "-a", "ipv4").CombinedOutput()
	if err != nil || !strings.Contains(string(out), lb.String()) {
		t.Errorf("gobgp global rib in node1: %v\n%s", err, out)
	}

	// Excluding a node withdraws its path; deleting the Service withdraws all.
	n3, err := l.kube.CoreV1().Nodes().Get(ctx, "node3", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n3.Labels[corev1.LabelNodeExcludeBalancers] = ""
	if _, err := l.kube.CoreV1().Nodes().Update(ctx, n3, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	l.waitTOR(lb, l.ips("node1", "node2"))
	start := time.Now()
	if err := l.kube.CoreV1().Services("demo").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	l.waitTOR(lb, nil)
	t.Logf("route withdrawn from the TOR's FIB %s after the delete (polled every 100ms)", time.Since(start).Round(time.Millisecond))
}
