package workloads

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/lblab/lblab/internal/topology"
)

func int32p(i int32) *int32 { return &i }

func web() topology.Workload {
	return topology.Workload{Name: "web", Namespace: "default", Image: "nginx", Replicas: int32p(3),
		Service: &topology.Service{Type: "LoadBalancer", Ports: []topology.Port{{Port: 80, TargetPort: 80, Protocol: "TCP"}},
			ExternalTrafficPolicy: "Local", IPFamilyPolicy: "PreferDualStack", Pool: "blue",
			LoadBalancerSourceRanges: []string{"192.0.2.2/32"}}}
}

func TestDeployment(t *testing.T) {
	w := web()
	w.Image = "docker.io/library/nginx:1.27"
	w.Service.Ports = append(w.Service.Ports,
		topology.Port{Port: 8080, TargetPort: 80, Protocol: "TCP"},
		topology.Port{Port: 53, TargetPort: 53, Protocol: "UDP"})
	d := Deployment(w)
	if *d.Name != "web" || *d.Namespace != "default" || *d.Spec.Replicas != 3 {
		t.Errorf("deployment %s/%s replicas %d", *d.Namespace, *d.Name, *d.Spec.Replicas)
	}
	if d.Spec.Selector.MatchLabels["app"] != "web" || d.Spec.Template.Labels["app"] != "web" {
		t.Error("pods must carry app=web, as kubectl create deployment does")
	}
	c := d.Spec.Template.Spec.Containers[0]
	if *c.Name != "nginx" || *c.Image != "docker.io/library/nginx:1.27" {
		t.Errorf("container %s image %s", *c.Name, *c.Image)
	}
	if len(c.Ports) != 2 || *c.Ports[0].ContainerPort != 80 || *c.Ports[1].ContainerPort != 53 || *c.Ports[1].Protocol != corev1.ProtocolUDP {
		t.Errorf("container ports must be the distinct target ports: %+v", c.Ports)
	}
}

func TestService(t *testing.T) {
	s := Service(web())
	sp := s.Spec
	if *sp.Type != corev1.ServiceTypeLoadBalancer || *sp.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal ||
		*sp.IPFamilyPolicy != corev1.IPFamilyPolicyPreferDualStack || sp.Selector["app"] != "web" {
		t.Errorf("spec: %+v", sp)
	}
	if s.Annotations["lblab.dev/ip-pool"] != "blue" || len(sp.LoadBalancerSourceRanges) != 1 {
		t.Errorf("pool annotation %v, source ranges %v", s.Annotations, sp.LoadBalancerSourceRanges)
	}
	// OpenELB serves only Services annotated as its own, from the pool's Eip.
	if s.Annotations["lb.kubesphere.io/v1alpha1"] != "openelb" || s.Annotations["eip.openelb.kubesphere.io/v1alpha2"] != "blue" {
		t.Errorf("OpenELB's annotations missing: %v", s.Annotations)
	}
	if p := sp.Ports[0]; *p.Port != 80 || p.TargetPort.IntVal != 80 || *p.Name != "tcp-80" {
		t.Errorf("port %+v", p)
	}
	// ClusterIP Services take no traffic policy or source ranges.
	w := web()
	w.Service.Type, w.Service.Pool = "ClusterIP", ""
	s = Service(w)
	if s.Spec.ExternalTrafficPolicy != nil || s.Spec.LoadBalancerSourceRanges != nil || s.Annotations != nil {
		t.Errorf("ClusterIP spec: %+v, annotations %v", s.Spec, s.Annotations)
	}
	w.Service = nil
	if Service(w) != nil {
		t.Error("a workload without service has no Service")
	}
}

func TestContainerName(t *testing.T) {
	for image, want := range map[string]string{
		"nginx": "nginx", "nginx:1.27-alpine": "nginx", "registry.k8s.io/e2e-test-images/agnhost:2.39": "agnhost",
		"ghcr.io/x/My_App@sha256:abc": "my-app", ":": "main",
	} {
		if got := containerName(image); got != want {
			t.Errorf("containerName(%q) = %q, want %q", image, got, want)
		}
	}
}

func TestApplyIdempotent(t *testing.T) {
	cs := fake.NewClientset()
	ctx := context.Background()
	other := web()
	other.Name, other.Namespace = "api", "team-a"
	ws := []topology.Workload{web(), other}
	for i := 0; i < 2; i++ {
		if err := Apply(ctx, cs, ws); err != nil {
			t.Fatalf("apply %d: %v", i, err)
		}
	}
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "team-a", metav1.GetOptions{}); err != nil {
		t.Errorf("namespace team-a: %v", err)
	}
	d, err := cs.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{})
	if err != nil || *d.Spec.Replicas != 3 {
		t.Fatalf("deployment: %v %v", d, err)
	}
	svc, err := cs.CoreV1().Services("team-a").Get(ctx, "api", metav1.GetOptions{})
	if err != nil || svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		t.Fatalf("service: %v %v", svc, err)
	}
	// A changed replica count is applied.
	ws[0].Replicas = int32p(5)
	if err := Apply(ctx, cs, ws[:1]); err != nil {
		t.Fatal(err)
	}
	d, _ = cs.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{})
	if *d.Spec.Replicas != 5 {
		t.Errorf("replicas = %d after re-apply", *d.Spec.Replicas)
	}
}

func TestWaitRolledOut(t *testing.T) {
	cs := fake.NewClientset(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Generation: 2},
		Spec:       appsv1.DeploymentSpec{Replicas: int32p(3)},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3,
			ReadyReplicas: 3, AvailableReplicas: 3},
	})
	if err := Wait(context.Background(), cs, []topology.Workload{web()}, time.Second); err != nil {
		t.Error(err)
	}
}

func TestWaitFailsFastOnUnsupportedImage(t *testing.T) {
	w := web()
	w.Image = "redis"
	cs := fake.NewClientset(
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}, Spec: appsv1.DeploymentSpec{Replicas: int32p(3)}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "default", Labels: map[string]string{"app": "web"}},
			Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: "redis",
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImageUnsupported",
					Message: "the netns backend runs only nginx images"}}}}}},
	)
	start := time.Now()
	err := Wait(context.Background(), cs, []topology.Workload{w}, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "ImageUnsupported: the netns backend runs only nginx images") {
		t.Errorf("err = %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Error("an unsupported image must fail at once, not at the timeout")
	}
}

func TestWaitTimeoutSaysWhy(t *testing.T) {
	cs := fake.NewClientset(
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}, Spec: appsv1.DeploymentSpec{Replicas: int32p(3)},
			Status: appsv1.DeploymentStatus{ReadyReplicas: 1}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-2", Namespace: "default", Labels: map[string]string{"app": "web"}},
			Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled,
				Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/4 nodes are available"}}}},
	)
	err := Wait(context.Background(), cs, []topology.Workload{web()}, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "1 of 3 replicas Ready") || !strings.Contains(err.Error(), "Unschedulable: 0/4 nodes are available") {
		t.Errorf("err = %v", err)
	}
}

// TestWaitTimeoutKeepsReadError: when the Deployment cannot be read, the
// timeout says why instead of only "0 Ready".
func TestWaitTimeoutKeepsReadError(t *testing.T) {
	err := Wait(context.Background(), fake.NewClientset(), []topology.Workload{web()}, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "0 of 3 replicas Ready") ||
		!strings.Contains(err.Error(), `the Deployment could not be read: deployments.apps "web" not found`) {
		t.Errorf("err = %v", err)
	}
}
