package externallb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"

	"github.com/lblab/lblab/internal/haproxy"
)

// fakeProgrammer records the last state applied; err makes Apply fail.
type fakeProgrammer struct {
	mu    sync.Mutex
	addrs []netip.Addr
	cfg   haproxy.Config
	calls int
	err   error
}

func (f *fakeProgrammer) Apply(_ context.Context, addrs []netip.Addr, cfg haproxy.Config) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return f.err
	}
	// The real one renders it: the state must always be valid.
	if _, err := haproxy.Render(cfg); err != nil {
		return fmt.Errorf("invalid HAProxy config: %w", err)
	}
	f.addrs, f.cfg = slices.Clone(addrs), cfg
	return nil
}

func (f *fakeProgrammer) setErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

// harness runs a Controller against a fake clientset and programmer.
type harness struct {
	t      *testing.T
	client *fake.Clientset
	events *record.FakeRecorder
	prog   *fakeProgrammer
	c      *Controller

	mu   sync.Mutex
	seen []string
}

func testOptions() Options {
	o := DefaultOptions()
	pools, err := ParsePools([]string{"198.51.100.10-198.51.100.19", "2001:db8:100::/124"})
	if err != nil {
		panic(err)
	}
	o.Pools, o.Dir, o.Debounce = pools, "/run/lblab/test", time.Millisecond
	return o
}

func newHarness(t *testing.T, opts Options, objs ...runtime.Object) *harness {
	t.Helper()
	h := &harness{t: t, client: fake.NewClientset(objs...), events: record.NewFakeRecorder(10000), prog: &fakeProgrammer{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	h.c = New(h.client, h.events, h.prog, log, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := h.c.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	h.eventually("a first sync", func() string {
		h.prog.mu.Lock()
		defer h.prog.mu.Unlock()
		if h.prog.calls == 0 {
			return "no Apply yet"
		}
		return ""
	})
	return h
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// eventually polls f until it returns "" or five seconds pass.
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

func (h *harness) svc(ns, name string) *corev1.Service {
	svc, err := h.client.CoreV1().Services(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return nil
	}
	return svc
}

// status returns a Service's ingress as "ip/mode,…", or "gone".
func (h *harness) status(ns, name string) string {
	svc := h.svc(ns, name)
	if svc == nil {
		return "gone"
	}
	var s []string
	for _, in := range svc.Status.LoadBalancer.Ingress {
		mode := "-"
		if in.IPMode != nil {
			mode = string(*in.IPMode)
		}
		s = append(s, in.IP+"/"+mode)
	}
	return strings.Join(s, ",")
}

func (h *harness) hasFinalizer(ns, name string) bool {
	svc := h.svc(ns, name)
	return svc != nil && slices.Contains(svc.Finalizers, Finalizer)
}

// waitStatus waits until the Service's ingress is want ("" for none).
func (h *harness) waitStatus(ns, name, want string) {
	h.t.Helper()
	h.eventually(ns+"/"+name+" status", func() string {
		if got := h.status(ns, name); got != want {
			return fmt.Sprintf("ingress %q, want %q", got, want)
		}
		return ""
	})
}

// lbHost returns the programmed state: addresses, and per frontend
// "bind -> server=addr(check) …".
func (h *harness) lbHost() (string, map[string]string) {
	h.prog.mu.Lock()
	defer h.prog.mu.Unlock()
	fes := map[string]string{}
	for _, fe := range h.prog.cfg.Frontends {
		var srv []string
		for _, s := range fe.Servers {
			chk := ""
			if s.CheckPort != 0 {
				chk = fmt.Sprintf("(http %d%s)", s.CheckPort, s.CheckPath)
			}
			srv = append(srv, s.Name+"="+s.Addr.String()+chk)
		}
		fes[fe.Name] = fe.Bind.String() + " -> " + strings.Join(srv, " ")
	}
	return fmt.Sprint(h.prog.addrs), fes
}

// waitLBHost waits until the programmed addresses and frontends are the
// wanted ones.
func (h *harness) waitLBHost(addrs string, fes map[string]string) {
	h.t.Helper()
	h.eventually("lb host", func() string {
		a, f := h.lbHost()
		if a != addrs || fmt.Sprint(f) != fmt.Sprint(fes) {
			return fmt.Sprintf("\naddrs %s\nfrontends %v\nwant\naddrs %s\nfrontends %v", a, f, addrs, fes)
		}
		return ""
	})
}

// allEvents returns every event recorded so far.
func (h *harness) allEvents() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		select {
		case e := <-h.events.Events:
			h.seen = append(h.seen, e)
		default:
			return slices.Clone(h.seen)
		}
	}
}

// waitEvent waits for an event containing each of parts.
func (h *harness) waitEvent(parts ...string) {
	h.t.Helper()
	h.eventually("event "+strings.Join(parts, " … "), func() string {
		for _, e := range h.allEvents() {
			if containsAll(e, parts) {
				return ""
			}
		}
		return fmt.Sprintf("not among %q", h.allEvents())
	})
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func (h *harness) create(objs ...runtime.Object) {
	h.t.Helper()
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *corev1.Service:
			_, err = h.client.CoreV1().Services(o.Namespace).Create(context.Background(), o, metav1.CreateOptions{})
		case *corev1.Node:
			_, err = h.client.CoreV1().Nodes().Create(context.Background(), o, metav1.CreateOptions{})
		default:
			err = errors.New("unknown kind")
		}
		if err != nil {
			h.t.Fatal(err)
		}
	}
}

// updateService changes a Service as its current version.
func (h *harness) updateService(ns, name string, f func(*corev1.Service)) {
	h.t.Helper()
	svc := h.svc(ns, name)
	if svc == nil {
		h.t.Fatalf("no Service %s/%s", ns, name)
	}
	f(svc)
	if _, err := h.client.CoreV1().Services(ns).Update(context.Background(), svc, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

// deleteService deletes a Service the way the API server does with
// finalizers: deletionTimestamp first, the object once the finalizers
// are gone (the fake clientset would delete at once).
func (h *harness) deleteService(ns, name string) {
	h.t.Helper()
	h.updateService(ns, name, func(s *corev1.Service) { now := metav1.Now(); s.DeletionTimestamp = &now })
	h.eventually("finalizer removed from "+ns+"/"+name, func() string {
		if h.hasFinalizer(ns, name) {
			return "still there"
		}
		return ""
	})
	if err := h.client.CoreV1().Services(ns).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

var created = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// lbService is a LoadBalancer Service of the default class with port 80
// on NodePort 30080, IPv4; mods change it.
func lbService(ns, name string, mods ...func(*corev1.Service)) *corev1.Service {
	class := DefaultClass
	created = created.Add(time.Second)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(ns + "-" + name), CreationTimestamp: metav1.NewTime(created)},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: &class,
			IPFamilies:            []corev1.IPFamily{corev1.IPv4Protocol},
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
			Ports:                 []corev1.ServicePort{{Name: "http", Port: 80, NodePort: 30080, Protocol: corev1.ProtocolTCP}},
		},
	}
	for _, m := range mods {
		m(svc)
	}
	return svc
}

func families6(fams ...corev1.IPFamily) func(*corev1.Service) {
	return func(s *corev1.Service) { s.Spec.IPFamilies = fams }
}

func class(c string) func(*corev1.Service) {
	return func(s *corev1.Service) {
		if c == "" {
			s.Spec.LoadBalancerClass = nil
		} else {
			s.Spec.LoadBalancerClass = &c
		}
	}
}

// testNode is a Ready node with the given NodeInternalIPs; mods change it.
func testNode(name string, ips []string, mods ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
	for _, ip := range ips {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip})
	}
	n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: name})
	for _, m := range mods {
		m(n)
	}
	return n
}

func sortedKeys(m map[string]string) []string {
	k := make([]string, 0, len(m))
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}
