package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/lblab/lblab/internal/controllers/openelb"
	"github.com/lblab/lblab/internal/topology"
)

// TempPrefix names every object verify creates, so a person (or `lblab
// verify` after a crash) can find and delete leftovers.
const TempPrefix = "lblab-verify-"

// cleanupTimeout bounds each restore step, which runs on a fresh context
// so that it happens even when the check's deadline has passed.
const cleanupTimeout = 20 * time.Second

// baseService returns the first LoadBalancer workload of the topology and
// its Service in the cluster: temporary Services copy its selector, ports
// and IP families.
func baseService(ctx context.Context, env Env) (topology.Workload, *corev1.Service, error) {
	kc, err := env.Kube()
	if err != nil {
		return topology.Workload{}, nil, err
	}
	for _, w := range env.Topology().Workloads {
		if w.Service == nil || w.Service.Type != "LoadBalancer" {
			continue
		}
		svc, err := kc.CoreV1().Services(w.Namespace).Get(ctx, w.Name, metav1.GetOptions{})
		if err != nil {
			return w, nil, fmt.Errorf("failed to get Service %s/%s: %w", w.Namespace, w.Name, err)
		}
		return w, svc, nil
	}
	return topology.Workload{}, nil, errNoLBWorkload
}

var errNoLBWorkload = errors.New("the topology has no LoadBalancer workload")

// tempService returns a LoadBalancer Service modelled on base.
func tempService(base *corev1.Service, name string) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: base.Namespace,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "lblab-verify"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: base.Spec.Selector,
			IPFamilyPolicy: base.Spec.IPFamilyPolicy, IPFamilies: base.Spec.IPFamilies,
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
			LoadBalancerClass:     base.Spec.LoadBalancerClass},
	}
	if base.Spec.Type == corev1.ServiceTypeLoadBalancer {
		// OpenELB's, from the same pool as base (other controllers
		// ignore them).
		s.Annotations = openelb.Annotations(base.Annotations[openelb.AnnotationEip])
	}
	for _, p := range base.Spec.Ports {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: p.Name, Port: p.Port, TargetPort: p.TargetPort, Protocol: p.Protocol})
	}
	return s
}

// tempLB is a temporary LoadBalancer Service of a mutating check, as far
// as startTempLB got with it.
type tempLB struct {
	kc        kubernetes.Interface
	Key       string        // namespace/name
	Info      ServiceInfo   // with its LB IPs and endpoints
	Allocated time.Duration // from the create to its IPs
	Routes    fibState      // the TOR's routes once they matched
	Routed    time.Duration // from the IPs to those routes
}

// startTempLB creates the LoadBalancer Service name, modelled on the
// topology's first one and changed by edit (nil: unchanged), and waits for
// its IPs and for the TOR's routes to them. The cleanup it returns, never
// nil, deletes the Service on a fresh context; on failure, step names what
// did not complete.
func startTempLB(ctx context.Context, env Env, name string, edit func(*corev1.Service)) (lb tempLB, cleanup func(), step string, err error) {
	cleanup = func() {}
	if lb.kc, err = env.Kube(); err != nil {
		return lb, cleanup, "connect", err
	}
	_, base, err := baseService(ctx, env)
	if err != nil {
		return lb, cleanup, "find the topology's Service", err
	}
	svc := tempService(base, name)
	if edit != nil {
		edit(svc)
	}
	lb.Key = svc.Namespace + "/" + svc.Name
	if cleanup, err = createService(ctx, lb.kc, svc); err != nil {
		return lb, cleanup, "create", err
	}
	if lb.Info, lb.Allocated, err = waitIPs(ctx, lb.kc, svc.Namespace, svc.Name, unservedFamilies(env.Topology())); err != nil {
		return lb, cleanup, "allocate", err
	}
	if isExternal(env, lb.Info) {
		if lb.Routes, lb.Routed, err = waitForwarded(ctx, env, &lb.Info); err != nil {
			return lb, cleanup, "forward from the lb host", err
		}
		return lb, cleanup, "", nil
	}
	if env.Topology().Controller.Mode == topology.ModeL2 {
		if lb.Routed, err = waitOwned(ctx, env, &lb.Info); err != nil {
			return lb, cleanup, "answer ARP/NDP", err
		}
		return lb, cleanup, "", nil
	}
	if lb.Routes, lb.Routed, err = waitNexthops(ctx, env, &lb.Info); err != nil {
		return lb, cleanup, "route", err
	}
	return lb, cleanup, "", nil
}

// create creates svc after deleting a leftover of the same name, and
// returns a cleanup that deletes it on a fresh context.
func createService(ctx context.Context, kc kubernetes.Interface, svc *corev1.Service) (func(), error) {
	svcs := kc.CoreV1().Services(svc.Namespace)
	_ = svcs.Delete(ctx, svc.Name, metav1.DeleteOptions{})
	if err := waitGone(ctx, func(ctx context.Context) error {
		_, err := svcs.Get(ctx, svc.Name, metav1.GetOptions{})
		return err
	}); err != nil {
		return func() {}, err
	}
	if _, err := svcs.Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return func() {}, fmt.Errorf("failed to create Service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return func() {
		cctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := svcs.Delete(cctx, svc.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			fmt.Fprintf(os.Stderr, "WARNING: failed to delete Service %s/%s: %v\n", svc.Namespace, svc.Name, err)
		}
	}, nil
}

// waitGone waits until get returns NotFound; other errors end the wait,
// but for API timeouts, which are retried.
func waitGone(ctx context.Context, get func(context.Context) error) error {
	return wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		err := get(ctx)
		switch {
		case apierrors.IsNotFound(err):
			return true, nil
		case err != nil && ctx.Err() == nil && !isTransient(err):
			return false, err
		}
		return false, nil
	})
}

func isTransient(err error) bool { return apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) }

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// waitFor calls cond every interval until it reports done, returns an
// error, or ctx ends; it returns how long it took.
func waitFor(ctx context.Context, interval time.Duration, cond func(ctx context.Context) (bool, error)) (time.Duration, error) {
	start := time.Now()
	err := wait.PollUntilContextCancel(ctx, interval, true, cond)
	return time.Since(start), err
}

// waitIPs waits until the Service has an LB IP of every family it asked
// for that the controller serves (unserved: the families it cannot).
func waitIPs(ctx context.Context, kc kubernetes.Interface, ns, name string, unserved map[string]string) (ServiceInfo, time.Duration, error) {
	var si ServiceInfo
	d, err := waitFor(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		var err error
		si, err = ReadService(ctx, kc, ns, name)
		if err != nil {
			return false, err
		}
		for _, f := range si.Families {
			if _, no := unserved[f]; !no && !hasFamily(si.LBIPs, f == "IPv6") {
				return false, nil
			}
		}
		return len(si.LBIPs) > 0, nil
	})
	if err != nil {
		return si, d, fmt.Errorf("Service %s/%s got no external IP for every family it asked for (%v): %w", ns, name, si.Families, err)
	}
	return si, d, nil
}

// fibNexthops returns the TOR's kernel next hops for each ip.
func fibNexthops(ctx context.Context, env Env, ips []netip.Addr) (map[netip.Addr][]netip.Addr, error) {
	out := map[netip.Addr][]netip.Addr{}
	for _, v6 := range []bool{false, true} {
		if !hasFamily(ips, v6) {
			continue
		}
		routes, err := torRoutes(ctx, env, v6)
		if err != nil {
			return nil, err
		}
		for _, ip := range ips {
			if ip.Is6() != v6 {
				continue
			}
			for _, r := range routes {
				if r.Dst == hostPrefix(ip) {
					out[ip] = r.Gateways()
				}
			}
		}
	}
	return out, nil
}

// fibState is one observation of a Service's routes: the eligible nodes,
// their addresses per LB IP (Want) and the TOR's kernel next hops (Got).
type fibState struct {
	Eligible  []string
	Want, Got map[netip.Addr][]netip.Addr
}

// waitNexthops waits until the TOR's FIB next hops for every IP of si equal
// the eligible nodes' addresses, and there is at least one; it returns the
// observation that matched (the last one on failure).
func waitNexthops(ctx context.Context, env Env, si *ServiceInfo) (fibState, time.Duration, error) {
	var st fibState
	d, err := waitFor(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		c, err := env.Cluster(ctx)
		if err != nil {
			return false, err
		}
		kc, _ := env.Kube()
		fresh, err := ReadService(ctx, kc, si.Namespace, si.Name)
		if err != nil {
			return false, err
		}
		*si = fresh
		// st keeps the last whole observation: an attempt cut short by
		// the deadline must not replace it with an empty one.
		cur := fibState{Eligible: EligibleNodes(c, fresh), Want: map[netip.Addr][]netip.Addr{}}
		for _, ip := range fresh.LBIPs {
			cur.Want[ip] = SpeakerAddrs(c, cur.Eligible, fresh.Class, ip)
		}
		if cur.Got, err = fibNexthops(ctx, env, fresh.LBIPs); err != nil {
			return false, err
		}
		st = cur
		for ip, w := range st.Want {
			// No eligible node (no ready endpoint yet): nothing is routed,
			// and an absent route would match; wait for one.
			if len(w) == 0 || joinAddrs(w) != joinAddrs(st.Got[ip]) {
				return false, nil
			}
		}
		return len(st.Want) > 0, nil
	})
	if err != nil {
		return st, d, fmt.Errorf("the TOR's routes for %s did not reach the eligible next hops (want %v, have %v): %w", si.Key(), st.Want, st.Got, err)
	}
	return st, d, nil
}
