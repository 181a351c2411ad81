package controller

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ktypes "k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// harness runs a Controller against fake clients.
type harness struct {
	t      *testing.T
	client *fake.Clientset
	dyn    *dynamicfake.FakeDynamicClient
	events *record.FakeRecorder
	c      *Controller
	cancel context.CancelFunc
	done   chan struct{}
}

var listKinds = map[schema.GroupVersionResource]string{
	v1alpha1.GroupVersion.WithResource("ippools"):           "IPPoolList",
	v1alpha1.GroupVersion.WithResource("bgppeers"):          "BGPPeerList",
	v1alpha1.GroupVersion.WithResource("bgpadvertisements"): "BGPAdvertisementList",
	v1alpha1.GroupVersion.WithResource("l2advertisements"):  "L2AdvertisementList",
}

func newHarness(t *testing.T, opts Options, crds []runtime.Object, objs ...runtime.Object) *harness {
	t.Helper()
	h := &harness{t: t, client: fake.NewClientset(objs...), events: record.NewFakeRecorder(1000)}
	var us []runtime.Object
	for _, o := range crds {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, &unstructured.Unstructured{Object: m})
	}
	h.dyn = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, us...)
	if opts.Workers == 0 {
		opts = DefaultOptions()
		opts.PoolStatusInterval = 10 * time.Millisecond
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	h.c = New(h.client, h.dyn, h.events, log, opts)
	return h
}

func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go func() {
		defer close(h.done)
		if err := h.c.Run(ctx); err != nil {
			h.t.Error(err)
		}
	}()
	h.t.Cleanup(h.stop)
}

func (h *harness) stop() {
	if h.cancel != nil {
		h.cancel()
		<-h.done
		h.cancel = nil
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// eventually polls f until it returns "" or the deadline passes.
func (h *harness) eventually(what string, f func() string) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		if last = f(); last == "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("%s: %s", what, last)
}

// ingress returns a Service's status addresses and pool annotation.
func (h *harness) ingress(ns, name string) (string, string) {
	svc, err := h.client.CoreV1().Services(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return "error: " + err.Error(), ""
	}
	var ips []string
	for _, in := range svc.Status.LoadBalancer.Ingress {
		ips = append(ips, in.IP)
	}
	return strings.Join(ips, ","), svc.Annotations[v1alpha1.AnnotationAllocatedFromPool]
}

func (h *harness) waitIngress(ns, name, want, pool string) {
	h.t.Helper()
	h.eventually("Service "+ns+"/"+name, func() string {
		got, gotPool := h.ingress(ns, name)
		if got != want || gotPool != pool {
			return "ingress " + got + " pool " + gotPool + ", want " + want + " pool " + pool
		}
		return ""
	})
}

// waitEvent waits for an event containing all the substrings.
func (h *harness) waitEvent(subs ...string) string {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e := <-h.events.Events:
			ok := true
			for _, s := range subs {
				ok = ok && strings.Contains(e, s)
			}
			if ok {
				return e
			}
		case <-deadline:
			h.t.Fatalf("no event with %q", subs)
		}
	}
}

func (h *harness) create(svc *corev1.Service) {
	h.t.Helper()
	if _, err := h.client.CoreV1().Services(svc.Namespace).Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) delete(ns, name string) {
	h.t.Helper()
	if err := h.client.CoreV1().Services(ns).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

// lb returns a LoadBalancer Service; mods change it.
func lb(name string, mods ...func(*corev1.Service)) *corev1.Service {
	single := corev1.IPFamilyPolicySingleStack
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: ktypes.UID("uid-" + name),
			CreationTimestamp: metav1.NewTime(time.Unix(1700000000, 0))},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
			IPFamilyPolicy: &single, Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}},
	}
	for _, m := range mods {
		m(svc)
	}
	return svc
}

func annotate(k, v string) func(*corev1.Service) {
	return func(s *corev1.Service) {
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations[k] = v
	}
}

func withStatus(ips ...string) func(*corev1.Service) {
	return func(s *corev1.Service) {
		for _, ip := range ips {
			s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
		}
	}
}

func createdAt(sec int64) func(*corev1.Service) {
	return func(s *corev1.Service) { s.CreationTimestamp = metav1.NewTime(time.Unix(sec, 0)) }
}

func pool(name string, addrs ...string) *v1alpha1.IPPool {
	return &v1alpha1.IPPool{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "IPPool"},
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: ktypes.UID("uid-pool-" + name), Generation: 1},
		Spec:       v1alpha1.IPPoolSpec{Addresses: addrs},
	}
}

// pool returns an IPPool as the fake dynamic client has it.
func (h *harness) pool(name string) *v1alpha1.IPPool {
	h.t.Helper()
	u, err := h.dyn.Resource(v1alpha1.GroupVersion.WithResource("ippools")).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	var p v1alpha1.IPPool
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &p); err != nil {
		h.t.Fatal(err)
	}
	return &p
}
