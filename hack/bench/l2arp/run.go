package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// result is one Service's times, from its create request (toGone from
// its delete request).
type result struct {
	ip                   netip.Addr
	toIP, toAnswer, gone time.Duration
	answerer, eventOwner string
	answers              int
}

func (b *bench) run(ctx context.Context, base string, n, keep int) error {
	ns, name, _ := strings.Cut(base, "/")
	src, err := b.cs.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("the Service to copy: %w", err)
	}
	if err := b.learnNodes(ctx); err != nil {
		return err
	}
	fmt.Printf("L2 bench: lab %s, %d Services created one at a time (%d kept, then deleted one at a time), ARP/NDP asked from the TOR every %s, %d cores, load %s\n",
		b.lab, n, keep, b.wait, runtime.NumCPU(), loadavg())
	var toIP, toAnswer, ipToAnswer, gone []time.Duration
	owners := map[string]int{}
	agree := 0
	var names []string
	defer func() { // on an error, leave nothing behind
		for _, name := range names {
			_ = b.cs.CoreV1().Services(ns).Delete(context.Background(), name, metav1.DeleteOptions{})
		}
	}()
	var batch []result
	for i := range n {
		name := fmt.Sprintf("l2-bench-%d", i)
		r, err := b.create(ctx, src, name)
		names = append(names, name)
		if err != nil {
			return err
		}
		batch = append(batch, r)
		toIP, toAnswer, ipToAnswer = append(toIP, r.toIP), append(toAnswer, r.toAnswer), append(ipToAnswer, r.toAnswer-r.toIP)
		owners[r.answerer]++
		if r.answerer == r.eventOwner && r.answers == 1 {
			agree++
		} else {
			fmt.Printf("  %s: answered by %s (%d MACs), its L2Owner event names %q\n", r.ip, r.answerer, r.answers, r.eventOwner)
		}
		if len(batch) < keep && i < n-1 {
			continue
		}
		// The pool is small: delete the batch, one at a time.
		for j, r := range batch {
			d, err := b.remove(ctx, ns, names[len(names)-len(batch)+j], r.ip)
			if err != nil {
				return err
			}
			gone = append(gone, d)
		}
		names, batch = nil, nil
	}
	fmt.Printf("  create → LB IP in the status        %s\n", summary(toIP))
	fmt.Printf("  create → ARP/NDP answered by owner  %s\n", summary(toAnswer))
	fmt.Printf("  LB IP in the status → answered      %s\n", summary(ipToAnswer))
	fmt.Printf("  delete → no longer answered         %s\n", summary(gone))
	keys := make([]string, 0, len(owners))
	for k := range owners {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var spread []string
	for _, k := range keys {
		spread = append(spread, fmt.Sprintf("%s %d", k, owners[k]))
	}
	fmt.Printf("  owners: %s; answered by exactly the node its L2Owner event names: %d of %d\n", strings.Join(spread, ", "), agree, n)
	return nil
}

// create creates a Service like src and times its IP and first answer,
// and who answered.
func (b *bench) create(ctx context.Context, src *corev1.Service, name string) (r result, err error) {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: src.Namespace},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: src.Spec.Selector}}
	single := corev1.IPFamilyPolicySingleStack
	svc.Spec.IPFamilyPolicy, svc.Spec.IPFamilies = &single, src.Spec.IPFamilies[:1]
	for _, p := range src.Spec.Ports {
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: p.Name, Port: p.Port, Protocol: p.Protocol, TargetPort: p.TargetPort})
	}
	svcs := b.cs.CoreV1().Services(src.Namespace)
	w, err := svcs.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
	if err != nil {
		return r, err
	}
	defer w.Stop()
	t0 := time.Now()
	created, err := svcs.Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		return r, fmt.Errorf("create %s (left from a run? delete it): %w", name, err)
	}
	if r.ip, err = waitIP(w, 10*time.Second); err != nil {
		return r, fmt.Errorf("%s: %w", name, err)
	}
	r.toIP = time.Since(t0)
	at, macs, err := b.until(ctx, r.ip, true, 10*time.Second)
	if err != nil {
		return r, fmt.Errorf("%s (%s): %w", name, r.ip, err)
	}
	r.toAnswer, r.answers, r.answerer = at.Sub(t0), len(macs), b.macNode[macs[0]]
	if r.answerer == "" {
		r.answerer = macs[0]
	}
	r.eventOwner = b.ownerEvent(ctx, created, r.ip)
	return r, nil
}

// remove deletes the Service and times until its IP is unanswered; then
// it waits for the Service to be gone.
func (b *bench) remove(ctx context.Context, ns, name string, ip netip.Addr) (time.Duration, error) {
	svcs := b.cs.CoreV1().Services(ns)
	t1 := time.Now()
	if err := svcs.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		return 0, err
	}
	at, _, err := b.until(ctx, ip, false, 10*time.Second)
	if err != nil {
		return 0, fmt.Errorf("%s (%s) after its delete: %w", name, ip, err)
	}
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		if _, err := svcs.Get(ctx, name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return at.Sub(t1), nil
		}
	}
	return 0, fmt.Errorf("%s still exists 10s after its delete", name)
}

func waitIP(w watch.Interface, limit time.Duration) (netip.Addr, error) {
	timeout := time.After(limit)
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				return netip.Addr{}, fmt.Errorf("the watch ended before an LB IP")
			}
			if s, ok := ev.Object.(*corev1.Service); ok && len(s.Status.LoadBalancer.Ingress) > 0 {
				return netip.ParseAddr(s.Status.LoadBalancer.Ingress[0].IP)
			}
		case <-timeout:
			return netip.Addr{}, fmt.Errorf("no LB IP after %s", limit)
		}
	}
}

// until asks for ip until it is answered (answered) or not, and returns
// when the request that saw it ended (within b.wait of the change).
func (b *bench) until(ctx context.Context, ip netip.Addr, answered bool, limit time.Duration) (time.Time, []string, error) {
	for start := time.Now(); time.Since(start) < limit; {
		macs, err := b.answers(ctx, ip)
		if err != nil {
			return time.Time{}, nil, err
		}
		if (len(macs) > 0) == answered {
			return time.Now(), macs, nil
		}
	}
	return time.Time{}, nil, fmt.Errorf("answered=%v not reached after %s", answered, limit)
}

// ownerEvent returns the node the Service's L2Owner event for ip names
// ("node2 answers ARP for 10.89.0.192 on eth0"), "" when none came in 3 s.
func (b *bench) ownerEvent(ctx context.Context, svc *corev1.Service, ip netip.Addr) string {
	sel := "reason=L2Owner,involvedObject.uid=" + string(svc.UID)
	for start := time.Now(); time.Since(start) < 3*time.Second; time.Sleep(20 * time.Millisecond) {
		evs, err := b.cs.CoreV1().Events(svc.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel})
		if err != nil {
			continue
		}
		for _, e := range evs.Items {
			if f := strings.Fields(e.Message); len(f) > 0 && slices.Contains(f, ip.String()) {
				return f[0]
			}
		}
	}
	return ""
}

func summary(d []time.Duration) string {
	if len(d) == 0 {
		return "no samples"
	}
	d = slices.Clone(d)
	slices.Sort(d)
	q := func(p float64) time.Duration { return d[int(p*float64(len(d)-1)+0.5)] }
	r := func(x time.Duration) string { return x.Round(100 * time.Microsecond).String() }
	return fmt.Sprintf("p50 %-9s p90 %-9s max %s", r(q(0.5)), r(q(0.9)), r(d[len(d)-1]))
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}
