package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/internal/lab"
)

// bench watches the namespace's Services and records, per Service, when
// its create returned, when the watch first showed it with an address,
// and when its delete was observed.
type bench struct {
	o    options
	cs   kubernetes.Interface
	pid  int
	stop chan struct{}

	mu        sync.Mutex
	created   map[string]time.Time
	addressed map[string]time.Time
	ips       map[string]string
	gone      map[string]time.Time
}

func newBench(ctx context.Context, cs kubernetes.Interface, o options) (*bench, error) {
	b := &bench{o: o, cs: cs, stop: make(chan struct{}), created: map[string]time.Time{},
		addressed: map[string]time.Time{}, ips: map[string]string{}, gone: map[string]time.Time{}}
	data, err := os.ReadFile(filepath.Join(lab.RunDir(o.lab), "pids", "lblab-controller.pid"))
	if err == nil {
		b.pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: o.namespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	f := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(o.namespace))
	inf := f.Core().V1().Services().Informer()
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { b.seen(obj.(*corev1.Service)) },
		UpdateFunc: func(_, obj any) { b.seen(obj.(*corev1.Service)) },
		DeleteFunc: func(obj any) {
			if s, ok := obj.(*corev1.Service); ok {
				b.mu.Lock()
				b.gone[s.Name] = time.Now()
				b.mu.Unlock()
			}
		},
	})
	f.Start(b.stop)
	f.WaitForCacheSync(b.stop)
	return b, nil
}

func (b *bench) seen(s *corev1.Service) {
	if len(s.Status.LoadBalancer.Ingress) == 0 {
		return
	}
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.addressed[s.Name]; !ok {
		b.addressed[s.Name] = now
		b.ips[s.Name] = s.Status.LoadBalancer.Ingress[0].IP
	}
}

func (b *bench) close() {
	close(b.stop)
	_ = b.cs.CoreV1().Namespaces().Delete(context.Background(), b.o.namespace, metav1.DeleteOptions{})
}

// benchPool is the IPPool the bench's Services ask for by name: large
// enough for the biggest churn, and not handed out to anyone else.
const benchPool = "ctrl-bench"

var no = false

func service(ns, name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{v1alpha1.AnnotationIPPool: benchPool},
			// kube-proxy skips it: the bench measures the controller, not the data plane.
			Labels: map[string]string{"service.kubernetes.io/service-proxy-name": "lblab-bench"}},
		// No node ports: 5,000 would not fit in the default range, and
		// their allocation is not what is measured.
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, AllocateLoadBalancerNodePorts: &no,
			Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}},
	}
}

func (b *bench) create(ctx context.Context, name string) error {
	start := time.Now()
	_, err := b.cs.CoreV1().Services(b.o.namespace).Create(ctx, service(b.o.namespace, name), metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("failed to create Service %s: %w", name, err)
	}
	b.mu.Lock()
	b.created[name] = start
	b.mu.Unlock()
	return nil
}

func (b *bench) delete(ctx context.Context, name string) error {
	err := b.cs.CoreV1().Services(b.o.namespace).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to delete Service %s: %w", name, err)
	}
	return nil
}

// parallel runs fn(i) for i in [0, n) on k goroutines and returns when
// the last call returned.
func parallel(n, k int, fn func(i int) error) (time.Time, error) {
	var wg sync.WaitGroup
	errs := make(chan error, k)
	next := make(chan int)
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	last := time.Now()
	select {
	case err := <-errs:
		return last, err
	default:
		return last, nil
	}
}

func (b *bench) waitAll(names []string, cond func(string) bool, timeout time.Duration) bool {
	err := wait.PollUntilContextTimeout(context.Background(), 5*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, n := range names {
			if !cond(n) {
				return false, nil
			}
		}
		return true, nil
	})
	return err == nil
}

// stats prints p50, p99 and max of durations.
func stats(label string, ds []time.Duration) {
	if len(ds) == 0 {
		fmt.Printf("  %-44s no samples\n", label)
		return
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	q := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	fmt.Printf("  %-44s p50 %s  p99 %s  max %s  (n=%d)\n", label, ms(q(0.5)), ms(q(0.99)), ms(ds[len(ds)-1]), len(ds))
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) + " ms" }

// printRSS prints the controller's resident memory: total and peak, and
// how much of it is anonymous (its heap) and file-backed (the lblab
// binary's pages, shared with every other lblab process).
func (b *bench) printRSS(when string) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", b.pid))
	if err != nil {
		fmt.Printf("  controller RSS %s: unknown (%v)\n", when, err)
		return
	}
	v := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, val, ok := strings.Cut(line, ":"); ok {
			v[k] = strings.TrimSpace(val)
		}
	}
	fmt.Printf("  controller RSS %s: %s (peak %s; anonymous %s, file %s)\n", when,
		kib(v["VmRSS"]), kib(v["VmHWM"]), kib(v["RssAnon"]), kib(v["RssFile"]))
}

func kib(s string) string {
	n, err := strconv.Atoi(strings.TrimSuffix(s, " kB"))
	if err != nil {
		return s
	}
	return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " MiB"
}
