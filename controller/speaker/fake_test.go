package speaker

import (
	"context"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/speaker/bgp"
)

// fakeAnnouncer records what the speaker asks the BGP layer for. It stands
// in for GoBGP only in these unit tests; package bgp tests the real layer
// against a GoBGP peer, and the integration test against FRR.
type fakeAnnouncer struct {
	mu        sync.Mutex
	cfg       BGPConfig
	peers     []bgp.Peer
	announced map[netip.Prefix]bgp.Advertisement
	started   chan struct{}
}

func newFakeAnnouncer() *fakeAnnouncer {
	return &fakeAnnouncer{announced: map[netip.Prefix]bgp.Advertisement{}, started: make(chan struct{})}
}

func (f *fakeAnnouncer) SetPeers(_ context.Context, peers []bgp.Peer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.peers = slices.Clone(peers)
	return nil
}

func (f *fakeAnnouncer) Announce(_ context.Context, advs ...bgp.Advertisement) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range advs {
		f.announced[a.Prefix] = a
	}
	return nil
}

func (f *fakeAnnouncer) Withdraw(_ context.Context, ps ...netip.Prefix) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range ps {
		delete(f.announced, p)
	}
	return nil
}

func (f *fakeAnnouncer) Set(_ context.Context, advs ...bgp.Advertisement) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.announced)
	for _, a := range advs {
		f.announced[a.Prefix] = a
	}
	select {
	case <-f.started:
	default:
		close(f.started)
	}
	return nil
}

func (f *fakeAnnouncer) Advertised() []bgp.Advertisement {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Collect(maps.Values(f.announced))
}

func (f *fakeAnnouncer) Sessions(context.Context) ([]bgp.SessionState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []bgp.SessionState
	for _, p := range f.peers {
		out = append(out, bgp.SessionState{Peer: p.Name, Address: p.Address, State: bgp.Established, Since: time.Unix(1700000000, 0), Advertised: len(f.announced)})
	}
	return out, nil
}

func (f *fakeAnnouncer) Stop() {}

// view is the announced set as strings, sorted.
func (f *fakeAnnouncer) view() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []string{}
	for _, a := range f.announced {
		out = append(out, a.String())
	}
	slices.Sort(out)
	return out
}

// fixture is a fake API server with a running speaker.
type fixture struct {
	t    *testing.T
	kube *fake.Clientset
	dyn  *dynfake.FakeDynamicClient
	ann  *fakeAnnouncer
	spk  *Speaker
	stop func() // cancels Run and waits for it
}

var listKinds = map[schema.GroupVersionResource]string{
	BGPPeersResource:          "BGPPeerList",
	BGPAdvertisementsResource: "BGPAdvertisementList",
	SpeakerStatusesResource:   "SpeakerStatusList",
}

func toUnstructured(t *testing.T, obj runtime.Object, kind string) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(v1alpha1.GroupVersion.String())
	u.SetKind(kind)
	return u
}

// start runs a speaker for node over the objects and waits until it has
// made its first full announcement.
func start(t *testing.T, node string, kube []runtime.Object, crds ...runtime.Object) *fixture {
	t.Helper()
	return startWith(t, Config{}, node, kube, crds...)
}

// startWith is start with more of the speaker's Config (SourceAddrs).
func startWith(t *testing.T, cfg Config, node string, kube []runtime.Object, crds ...runtime.Object) *fixture {
	t.Helper()
	var us []runtime.Object
	for _, o := range crds {
		switch o.(type) {
		case *v1alpha1.BGPPeer:
			us = append(us, toUnstructured(t, o, "BGPPeer"))
		case *v1alpha1.BGPAdvertisement:
			us = append(us, toUnstructured(t, o, "BGPAdvertisement"))
		}
	}
	f := &fixture{t: t, kube: fake.NewClientset(kube...), ann: newFakeAnnouncer(),
		dyn: dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, us...)}
	cfg.Node, cfg.Client, cfg.Dynamic, cfg.StatusInterval = node, f.kube, f.dyn, 10*time.Millisecond
	cfg.StartBGP = func(_ context.Context, c BGPConfig) (Announcer, error) {
		f.ann.cfg = c
		return f.ann, nil
	}
	spk, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.spk = spk
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- spk.Run(ctx) }()
	var once sync.Once
	f.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(f.stop)
	select {
	case <-f.ann.started:
	case err := <-done:
		t.Fatalf("Run returned before announcing: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("speaker did not start")
	}
	return f
}

// eventually waits until the announced set is want.
func (f *fixture) eventually(want ...string) {
	f.t.Helper()
	if want == nil {
		want = []string{}
	}
	slices.Sort(want)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := f.ann.view()
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("announced %q, want %q", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Object builders.

func node(name string, ip string, labels map[string]string, conds ...corev1.NodeCondition) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, UID: "uid-" + "name"},
		Status: corev1.NodeStatus{
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}},
			Conditions: conds,
		},
	}
}

type svcOpt func(*corev1.Service)

func local(s *corev1.Service) {
	s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
}

func class(c string) svcOpt { return func(s *corev1.Service) { s.Spec.LoadBalancerClass = ptr.To(c) } }

func noPool(s *corev1.Service) { delete(s.Annotations, v1alpha1.AnnotationAllocatedFromPool) }

func pool(p string) svcOpt {
	return func(s *corev1.Service) { s.Annotations[v1alpha1.AnnotationAllocatedFromPool] = p }
}

func lbService(name string, ips []string, opts ...svcOpt) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name,
			Annotations: map[string]string{v1alpha1.AnnotationAllocatedFromPool: "default"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster},
	}
	for _, ip := range ips {
		s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// ep is one endpoint: the node it runs on and its ready condition (nil:
// unset, which counts as ready).
type ep struct {
	node  string
	ready *bool
}

func slice(svc, name string, eps ...ep) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "default", Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for i, e := range eps {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{"10.244.0." + string(rune('1'+i))},
			NodeName:   ptr.To(e.node),
			Conditions: discoveryv1.EndpointConditions{Ready: e.ready},
		})
	}
	return es
}

func peer(name, addr string, sel *metav1.LabelSelector) *v1alpha1.BGPPeer {
	return &v1alpha1.BGPPeer{ObjectMeta: metav1.ObjectMeta{Name: name, Generation: 1},
		Spec: v1alpha1.BGPPeerSpec{PeerAddress: addr, PeerASN: 64496, MyASN: 64500, NodeSelector: sel}}
}

func adv(name string, spec v1alpha1.BGPAdvertisementSpec) *v1alpha1.BGPAdvertisement {
	return &v1alpha1.BGPAdvertisement{ObjectMeta: metav1.ObjectMeta{Name: name, Generation: 1}, Spec: spec}
}
