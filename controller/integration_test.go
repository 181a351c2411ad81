package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/testutil"
)

// labEnv is a real netns lab whose controller runs as `lblab up` runs it:
// a process in the control-plane namespace with its ServiceAccount's token.
type labEnv struct {
	name string
	cs   kubernetes.Interface
	dyn  dynamic.Interface
}

// TestIntegrationController checks the controller against a real lab's
// kube-apiserver: concurrency, conflicts, exhaustion, and a restart in the
// middle of churn.
func TestIntegrationController(t *testing.T) {
	testutil.Integration(t)
	env := upLab(t, "ctrl-it")
	t.Run("200 concurrent Services get 200 distinct addresses", env.testBurst)
	t.Run("two Services request one address", env.testSameAddress)
	t.Run("exhausted pool", env.testExhaustion)
	t.Run("restart in the middle of churn changes no address", env.testRestartMidChurn)
}

func upLab(t *testing.T, name string) *labEnv {
	t.Helper()
	testutil.MustRun(t, "up", "--name", name, "--no-workloads")
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(lab.StateDir(name), "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = -1, 0
	env := &labEnv{name: name}
	if env.cs, err = kubernetes.NewForConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if env.dyn, err = dynamic.NewForConfig(cfg); err != nil {
		t.Fatal(err)
	}
	return env
}

func (e *labEnv) namespace(t *testing.T, name string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := e.cs.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.cs.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	return name
}

func (e *labEnv) pool(t *testing.T, name string, auto bool, addrs ...string) {
	t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": v1alpha1.GroupVersion.String(), "kind": "IPPool",
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"addresses": toAny(addrs), "autoAssign": auto},
	}}
	r := e.dyn.Resource(v1alpha1.GroupVersion.WithResource("ippools"))
	if _, err := r.Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Delete(context.Background(), name, metav1.DeleteOptions{}) })
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func service(ns, name string, annotations map[string]string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}},
	}
}

// createConcurrently creates Services with 16 clients in parallel.
func (e *labEnv) createConcurrently(t *testing.T, svcs []*corev1.Service) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(svcs))
	work := make(chan *corev1.Service)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range work {
				if _, err := e.cs.CoreV1().Services(s.Namespace).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
					errs <- err
				}
			}
		}()
	}
	for _, s := range svcs {
		work <- s
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// waitAddresses waits until every Service of the namespace with the
// given names has an ingress address and returns them by name.
func (e *labEnv) waitAddresses(t *testing.T, ns string, names []string, timeout time.Duration) map[string]string {
	t.Helper()
	var got map[string]string
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		list, err := e.cs.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		got = map[string]string{}
		for _, s := range list.Items {
			if len(s.Status.LoadBalancer.Ingress) > 0 {
				got[s.Name] = s.Status.LoadBalancer.Ingress[0].IP
			}
		}
		for _, n := range names {
			if got[n] == "" {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("only %d of %d Services got an address after %s", len(got), len(names), timeout)
	}
	return got
}

func (e *labEnv) testBurst(t *testing.T) {
	ns := e.namespace(t, "it-burst")
	var svcs []*corev1.Service
	var names []string
	for i := range 200 {
		names = append(names, fmt.Sprintf("s%03d", i))
		svcs = append(svcs, service(ns, names[i], nil))
	}
	start := time.Now()
	e.createConcurrently(t, svcs)
	got := e.waitAddresses(t, ns, names, 60*time.Second)
	t.Logf("200 Services created and addressed in %s", time.Since(start).Round(time.Millisecond))
	pfx := netip.MustParsePrefix("198.51.100.0/24")
	seen := map[string]string{}
	for name, ip := range got {
		if other, dup := seen[ip]; dup {
			t.Errorf("%s and %s both got %s", name, other, ip)
		}
		seen[ip] = name
		if !pfx.Contains(netip.MustParseAddr(ip)) {
			t.Errorf("%s got %s, outside the pool", name, ip)
		}
	}
	for _, n := range names[:3] {
		s, err := e.cs.CoreV1().Services(ns).Get(context.Background(), n, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p := s.Annotations[v1alpha1.AnnotationAllocatedFromPool]; p != "default" {
			t.Errorf("%s: pool annotation %q", n, p)
		}
	}
}

// waitEvent waits for an event on a Service whose reason and message
// match, and returns its message.
func (e *labEnv) waitEvent(t *testing.T, ns, name, reason, msg string) string {
	t.Helper()
	var found string
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		evs, err := e.cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
		if err != nil {
			return false, nil
		}
		for _, ev := range evs.Items {
			if ev.Reason == reason && strings.Contains(ev.Message, msg) {
				found = ev.Message
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no %s event with %q on %s/%s", reason, msg, ns, name)
	}
	return found
}

func (e *labEnv) testSameAddress(t *testing.T) {
	ns := e.namespace(t, "it-same")
	want := map[string]string{v1alpha1.AnnotationLoadBalancerIPs: "198.51.100.250"}
	e.createConcurrently(t, []*corev1.Service{service(ns, "a", want), service(ns, "b", want)})
	var winner, loser string
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		winner, loser = "", ""
		for _, n := range []string{"a", "b"} {
			s, err := e.cs.CoreV1().Services(ns).Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			if len(s.Status.LoadBalancer.Ingress) > 0 {
				if winner != "" {
					return false, fmt.Errorf("both Services got an address")
				}
				winner = n
			} else {
				loser = n
			}
		}
		return winner != "", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	msg := e.waitEvent(t, ns, loser, v1alpha1.ReasonAllocationFailed, "requested 198.51.100.250 is used by "+ns+"/"+winner)
	t.Logf("%s got the address; %s: %s", winner, loser, msg)
	time.Sleep(time.Second) // and it stays that way
	s, _ := e.cs.CoreV1().Services(ns).Get(context.Background(), loser, metav1.GetOptions{})
	if len(s.Status.LoadBalancer.Ingress) > 0 {
		t.Fatalf("%s got %v too", loser, s.Status.LoadBalancer.Ingress)
	}
}

func (e *labEnv) testExhaustion(t *testing.T) {
	ns := e.namespace(t, "it-tiny")
	e.pool(t, "it-tiny", false, "203.0.113.10-203.0.113.11")
	ann := map[string]string{v1alpha1.AnnotationIPPool: "it-tiny"}
	e.createConcurrently(t, []*corev1.Service{service(ns, "a", ann), service(ns, "b", ann)})
	e.waitAddresses(t, ns, []string{"a", "b"}, 20*time.Second)
	e.createConcurrently(t, []*corev1.Service{service(ns, "c", ann)})
	msg := e.waitEvent(t, ns, "c", v1alpha1.ReasonAllocationFailed,
		`PoolExhausted: IPPool "it-tiny" has no free IPv4 address: all 2 addresses of 203.0.113.10/31 are in use`)
	t.Log(msg)
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		u, err := e.dyn.Resource(v1alpha1.GroupVersion.WithResource("ippools")).Get(ctx, "it-tiny", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		used, _, _ := unstructured.NestedInt64(u.Object, "status", "assignedIPv4")
		avail, _, _ := unstructured.NestedString(u.Object, "status", "availableIPv4")
		return used == 2 && avail == "0", nil
	})
	if err != nil {
		t.Fatal("IPPool it-tiny status never said 2 used, 0 available")
	}
	if err := e.cs.CoreV1().Services(ns).Delete(context.Background(), "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitAddresses(t, ns, []string{"c"}, 20*time.Second)
}

// testRestartMidChurn creates Services while the controller is killed and
// restarted by a converging `lblab up`, and checks with a watch that no
// Service's address ever changes and no address is given twice.
func (e *labEnv) testRestartMidChurn(t *testing.T) {
	ns := e.namespace(t, "it-churn")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := e.cs.CoreV1().Services(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	history := map[string]map[string]bool{} // Service -> every address it showed
	var mu sync.Mutex
	go func() {
		for ev := range w.ResultChan() {
			s, ok := ev.Object.(*corev1.Service)
			if !ok {
				continue
			}
			mu.Lock()
			for _, in := range s.Status.LoadBalancer.Ingress {
				if history[s.Name] == nil {
					history[s.Name] = map[string]bool{}
				}
				history[s.Name][in.IP] = true
			}
			mu.Unlock()
		}
	}()
	var names []string
	var svcs []*corev1.Service
	for i := range 120 {
		names = append(names, fmt.Sprintf("c%03d", i))
		svcs = append(svcs, service(ns, names[i], nil))
	}
	e.createConcurrently(t, svcs[:60])
	e.waitAddresses(t, ns, names[:30], 30*time.Second)
	pidFile := filepath.Join(lab.RunDir(e.name), "pids", "lblab-controller.pid")
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	e.createConcurrently(t, svcs[60:])
	// The lab's supervisor starts it again, as a kubelet would, and
	// `status` counts the restart.
	restarted := false
	for end := time.Now().Add(30 * time.Second); !restarted && time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		var st struct {
			Processes []lab.Process `json:"processes"`
		}
		if err := json.Unmarshal([]byte(testutil.MustRun(t, "status", "--name", e.name, "-o", "json").Stdout), &st); err != nil {
			t.Fatal(err)
		}
		for _, p := range st.Processes {
			if p.Name == "lblab controller" && p.State == "running" && p.PID != pid && p.Restarts >= 1 {
				restarted = true
			}
		}
	}
	if !restarted {
		t.Fatal("the supervisor did not restart the killed controller within 30 s")
	}
	got := e.waitAddresses(t, ns, names, 60*time.Second)
	time.Sleep(time.Second) // let the watch catch up
	mu.Lock()
	defer mu.Unlock()
	owner := map[string]string{}
	for _, n := range names {
		if len(history[n]) != 1 {
			t.Errorf("%s showed %d addresses: %v", n, len(history[n]), history[n])
		}
		if o, dup := owner[got[n]]; dup {
			t.Errorf("%s and %s both hold %s", n, o, got[n])
		}
		owner[got[n]] = n
	}
}
