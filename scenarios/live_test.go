package scenarios

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/topology"
)

// liveEnv is a LiveEnv on a fake clientset (TestIntegrationVerify runs the
// real one).
func liveEnv(kc *fake.Clientset, workloads ...string) *LiveEnv {
	e := &LiveEnv{LabName: "lab1", Topo: &topology.Topology{},
		HostList: []lab.Node{{Name: "node1", Role: lab.RoleWorker, Addrs: addrs("10.89.0.11")}}}
	for _, w := range workloads {
		e.Topo.Workloads = append(e.Topo.Workloads, topology.Workload{Name: w, Namespace: "default",
			Service: &topology.Service{Type: "LoadBalancer"}})
	}
	e.once.Do(func() {})
	e.client = kc
	return e
}

func lbService(name, ip string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:   corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: ip}}}}}
}

func TestLiveCluster(t *testing.T) {
	port, node := int32(80), "node1"
	kc := fake.NewClientset(
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node1"}},
		lbService("web", "198.51.100.0"), lbService("other", "198.51.100.9"),
		&discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "web-x", Namespace: "default",
			Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
			Ports:     []discoveryv1.EndpointPort{{Name: ptr("http"), Port: &port}},
			Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.244.1.2"}, NodeName: &node}}})
	c, err := liveEnv(kc, "web").Cluster(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Services) != 1 || c.Services[0].Key() != "default/web" || len(c.Services[0].Endpoints) != 1 ||
		c.Services[0].Endpoints[0].Ports["http"] != 80 {
		t.Errorf("the topology's Service with its endpoints: %+v", c.Services)
	}
	if !slices.Contains(c.Held, netip.MustParseAddr("198.51.100.9")) || len(c.Nodes) != 1 || joinAddrs(c.Nodes[0].Addrs) != "10.89.0.11" {
		t.Errorf("held %v, nodes %+v", c.Held, c.Nodes)
	}
	// The Services were listed once: no GET of each again.
	for _, a := range kc.Actions() {
		if a.GetVerb() == "get" {
			t.Errorf("Cluster read %s with a GET after listing it", a.GetResource().Resource)
		}
	}
	if _, err := liveEnv(kc, "web", "gone").Cluster(context.Background()); err == nil || !strings.Contains(err.Error(), "Service default/gone does not exist") {
		t.Errorf("a missing topology Service: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestClientLogLinesSaysWhatWasUnread: etp-local's look at nginx's access
// logs reports the pods whose log it could not read, and why.
func TestClientLogLinesSaysWhatWasUnread(t *testing.T) {
	labels := map[string]string{"app": "lblab-verify-etp"}
	pod := func(name, node string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: labels,
			Annotations: map[string]string{AnnotationAccessLog: "/run/lblab/lab1/pods/" + name + "/access.log"}},
			Spec: corev1.PodSpec{NodeName: node}}
	}
	e := liveEnv(fake.NewClientset(pod("etp-1", "node1"), pod("etp-2", "node9")))
	rec := &run.Recorder{}
	rec.Fail("cat /run/lblab/lab1/pods/etp-1/access.log", 1, "No such file or directory")
	e.HostList[0].Runner = rec
	lines, _, unread, err := clientLogLines(context.Background(), e, e.client, "default", labels, addrs("192.0.2.2"))
	if err != nil || len(lines) != 0 {
		t.Fatalf("lines %v, err %v", lines, err)
	}
	if got := strings.Join(unread, "; "); !strings.Contains(got, "etp-1: command failed: cat") || !strings.Contains(got, "No such file") ||
		!strings.Contains(got, `etp-2: its node "node9" is no lab host`) {
		t.Errorf("unread: %q", got)
	}
}
