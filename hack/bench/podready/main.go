// Command podready-bench measures the netns node agent against a lab's real
// control plane: for each nginx pod, the time from the scheduler's binding
// (the first watch event with spec.nodeName set) to Ready, also from create
// to Ready, and from a delete to the pod being gone (the agent stops nginx
// gracefully, tears down the network and finalizes the deletion). Pods are
// created one at a time (no contention), then in a burst. Times are taken
// from one client-side watch, so the watch's own delay cancels out of the
// bind → Ready figure.
//
//	go run ./hack/bench/podready -lab agent-e2e -single 20 -burst 30
//
// It prints figures and asserts nothing.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lblab/lblab/internal/lab"
)

const namespace = "podready-bench"

func main() {
	labName := flag.String("lab", "", "name of a netns lab with Kubernetes")
	single := flag.Int("single", 20, "pods created one at a time")
	burst := flag.Int("burst", 30, "pods created at once")
	flag.Parse()
	if *labName == "" {
		fmt.Fprintln(os.Stderr, "usage: podready-bench -lab NAME [-single N] [-burst N]")
		os.Exit(2)
	}
	if err := run(context.Background(), *labName, *single, *burst); err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(1)
	}
}

// times are when the watch saw each step of one pod.
type times struct {
	created, bound, ready, deleted, gone time.Time
	node                                 string
}

type bench struct {
	cs   kubernetes.Interface
	mu   sync.Mutex
	pods map[string]*times
	seen chan struct{}
}

func run(ctx context.Context, labName string, single, burst int) error {
	kc := filepath.Join(lab.StateDir(labName), "kubeconfig")
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		return fmt.Errorf("failed to load %s (is lab %s up?): %w", kc, labName, err)
	}
	cfg.QPS, cfg.Burst = -1, 0
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	b := &bench{cs: cs, pods: map[string]*times{}, seen: make(chan struct{}, 1)}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("failed to create namespace %s (left from a run? delete it): %w", namespace, err)
	}
	defer func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), namespace, metav1.DeleteOptions{})
	}()
	// The service account controller creates the namespace's default
	// ServiceAccount, without which pods are refused.
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if _, err := cs.CoreV1().ServiceAccounts(namespace).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			break
		}
		if time.Since(start) > 30*time.Second {
			return fmt.Errorf("namespace %s has no default ServiceAccount after 30s", namespace)
		}
	}
	w, err := cs.CoreV1().Pods(namespace).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	defer w.Stop()
	go b.watch(w)

	fmt.Printf("pod bench: lab %s, machine %d cores, load %s\n", labName, coresOf(), loadavg())
	var names []string
	for i := range single {
		name := fmt.Sprintf("single-%d", i)
		if err := b.create(ctx, name); err != nil {
			return err
		}
		if err := b.wait(func() bool { return !b.get(name).ready.IsZero() }, 30*time.Second); err != nil {
			return fmt.Errorf("pod %s: %w", name, err)
		}
		names = append(names, name)
	}
	b.report(fmt.Sprintf("%d pods, one at a time", single), names)
	if err := b.deleteAll(ctx, names); err != nil {
		return err
	}
	names = nil
	for i := range burst {
		names = append(names, fmt.Sprintf("burst-%d", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, burst)
	for _, n := range names {
		wg.Go(func() { errs <- b.create(ctx, n) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	if err := b.wait(func() bool { return b.all(names, func(t *times) bool { return !t.ready.IsZero() }) }, 60*time.Second); err != nil {
		return err
	}
	b.report(fmt.Sprintf("%d pods at once", burst), names)
	return b.deleteAll(ctx, names)
}

func (b *bench) create(ctx context.Context, name string) error {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.27",
			Ports: []corev1.ContainerPort{{ContainerPort: 80}}}},
			TerminationGracePeriodSeconds: new(int64(5))},
	}
	b.mu.Lock()
	b.pods[name] = &times{created: time.Now()}
	b.mu.Unlock()
	_, err := b.cs.CoreV1().Pods(namespace).Create(ctx, p, metav1.CreateOptions{})
	return err
}

func (b *bench) watch(w watch.Interface) {
	for ev := range w.ResultChan() {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok {
			continue
		}
		now := time.Now()
		b.mu.Lock()
		t := b.pods[p.Name]
		if t != nil {
			if t.bound.IsZero() && p.Spec.NodeName != "" {
				t.bound, t.node = now, p.Spec.NodeName
			}
			if t.ready.IsZero() && podReady(p) {
				t.ready = now
			}
			if ev.Type == watch.Deleted {
				t.gone = now
			}
		}
		b.mu.Unlock()
		select {
		case b.seen <- struct{}{}:
		default:
		}
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (b *bench) get(name string) times {
	b.mu.Lock()
	defer b.mu.Unlock()
	return *b.pods[name]
}

func (b *bench) all(names []string, ok func(*times) bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range names {
		if !ok(b.pods[n]) {
			return false
		}
	}
	return true
}

func (b *bench) wait(done func() bool, limit time.Duration) error {
	deadline := time.After(limit)
	for !done() {
		select {
		case <-b.seen:
		case <-deadline:
			return fmt.Errorf("timed out after %s", limit)
		}
	}
	return nil
}

func (b *bench) deleteAll(ctx context.Context, names []string) error {
	for _, n := range names {
		b.mu.Lock()
		b.pods[n].deleted = time.Now()
		b.mu.Unlock()
		if err := b.cs.CoreV1().Pods(namespace).Delete(ctx, n, metav1.DeleteOptions{}); err != nil {
			return err
		}
	}
	if err := b.wait(func() bool { return b.all(names, func(t *times) bool { return !t.gone.IsZero() }) }, 60*time.Second); err != nil {
		return fmt.Errorf("deleted pods not gone: %w", err)
	}
	var gone []time.Duration
	for _, n := range names {
		t := b.get(n)
		gone = append(gone, t.gone.Sub(t.deleted))
	}
	fmt.Printf("  %-28s %s\n", "delete → gone (finalized)", summary(gone))
	return nil
}

func (b *bench) report(title string, names []string) {
	var bindReady, createBind, createReady []time.Duration
	nodes := map[string]int{}
	for _, n := range names {
		t := b.get(n)
		bindReady = append(bindReady, t.ready.Sub(t.bound))
		createBind = append(createBind, t.bound.Sub(t.created))
		createReady = append(createReady, t.ready.Sub(t.created))
		nodes[t.node]++
	}
	fmt.Printf("%s (spread %v):\n", title, nodes)
	fmt.Printf("  %-28s %s\n", "bind → Ready (node agent)", summary(bindReady))
	fmt.Printf("  %-28s %s\n", "create → bind (scheduler)", summary(createBind))
	fmt.Printf("  %-28s %s\n", "create → Ready", summary(createReady))
}

func summary(d []time.Duration) string {
	slices.Sort(d)
	q := func(p float64) time.Duration { return d[int(p*float64(len(d)-1)+0.5)] }
	r := func(x time.Duration) time.Duration { return x.Round(100 * time.Microsecond) }
	return fmt.Sprintf("p50 %-9v p90 %-9v max %v", r(q(0.5)), r(q(0.9)), r(d[len(d)-1]))
}

func coresOf() int {
	data, _ := os.ReadFile("/proc/cpuinfo")
	n := 0
	for i := 0; i+9 <= len(data); i++ {
		if string(data[i:i+9]) == "processor" && (i == 0 || data[i-1] == '\n') {
			n++
		}
	}
	return n
}

func loadavg() string {
	data, _ := os.ReadFile("/proc/loadavg")
	if len(data) > 14 {
		return string(data[:14])
	}
	return string(data)
}
