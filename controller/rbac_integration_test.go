package controller_test

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
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"

	"github.com/lblab/lblab/controller"
	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/controller/internal/kubetest"
	"github.com/lblab/lblab/internal/topology"
)

// TestIntegrationControllerRBAC runs the controller in-process with a
// token of its ServiceAccount (as the lab does) against a real
// kube-apiserver with RBAC: every call it makes (leases, Service status,
// events, IPPool status) must be allowed by the installed ClusterRole.
func TestIntegrationControllerRBAC(t *testing.T) {
	s := kubetest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	topo, err := topology.Decode([]byte("apiVersion: lblab.dev/v1alpha1\nkind: Topology\nname: rbac\nnetwork: {ipv4Subnet: 10.89.9.0/24}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := install.Install(ctx, s.Config, topo, nil); err != nil {
		t.Fatal(err)
	}
	kc, err := install.TokenKubeconfig(ctx, s.Client(t), install.ControllerServiceAccount, s.Config.Host, s.CAData, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kc)
	if err != nil {
		t.Fatal(err)
	}
	opts := controller.DefaultOptions()
	opts.MetricsAddr = "127.0.0.1:0"
	opts.Identity = "rbac-test"
	opts.LeaseDuration, opts.RenewDeadline, opts.RetryPeriod = 2*time.Second, 1500*time.Millisecond, 300*time.Millisecond
	errs := make(chan error, 1)
	go func() { errs <- controller.Main(ctx, cfg, opts, slog.New(slog.NewTextHandler(io.Discard, nil))) }()

	cs := s.Client(t)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Port: 80}}}}
	if _, err := cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var got *corev1.Service
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		select {
		case err := <-errs:
			t.Fatalf("controller stopped: %v", err)
		default:
		}
		got, err = cs.CoreV1().Services("default").Get(ctx, "web", metav1.GetOptions{})
		return err == nil && len(got.Status.LoadBalancer.Ingress) == 1, nil
	})
	if err != nil {
		t.Fatal("the Service got no address")
	}
	if ip := got.Status.LoadBalancer.Ingress[0].IP; ip != "198.51.100.0" || got.Annotations[v1alpha1.AnnotationAllocatedFromPool] != "default" {
		t.Fatalf("status %s, annotations %v", ip, got.Annotations)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		evs, err := cs.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=web,reason=IPAllocated"})
		return err == nil && len(evs.Items) == 1, nil
	})
	if err != nil {
		t.Fatal("no IPAllocated event")
	}
	dyn, err := dynamic.NewForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		for _, r := range []string{"ippools/default", "bgppeers/tor-ipv4", "bgpadvertisements/default"} {
			res, name, _ := strings.Cut(r, "/")
			u, err := dyn.Resource(v1alpha1.GroupVersion.WithResource(res)).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			if len(conds) != 1 || conds[0].(map[string]any)["status"] != "True" {
				return false, nil
			}
			if used, _, _ := unstructured.NestedInt64(u.Object, "status", "assignedIPv4"); res == "ippools" && used != 1 {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatal("the pool, peer and advertisement never all had Valid=True and the pool 1 address used")
	}
	lease, err := cs.CoordinationV1().Leases(v1alpha1.Namespace).Get(ctx, "lblab-controller", metav1.GetOptions{})
	if err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != "rbac-test" {
		t.Fatalf("leader Lease: %v %v", lease, err)
	}

	// Another instance steals the Lease: this one stops, runs for leader
	// again with fresh state once the thief's Lease expires, and works.
	// The leader renews the Lease every 300 ms: steal it from a fresh read
	// until no renewal comes in between.
	thief := "thief"
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		l, err := cs.CoordinationV1().Leases(v1alpha1.Namespace).Get(ctx, "lblab-controller", metav1.GetOptions{})
		if err != nil {
			return err
		}
		now := metav1.NewMicroTime(time.Now())
		l.Spec.HolderIdentity, l.Spec.RenewTime, l.Spec.AcquireTime = &thief, &now, &now
		_, err = cs.CoordinationV1().Leases(v1alpha1.Namespace).Update(ctx, l, metav1.UpdateOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		l, err := cs.CoordinationV1().Leases(v1alpha1.Namespace).Get(ctx, "lblab-controller", metav1.GetOptions{})
		return err == nil && l.Spec.HolderIdentity != nil && *l.Spec.HolderIdentity == "rbac-test", nil
	})
	if err != nil {
		t.Fatal("the controller did not lead again after losing its Lease")
	}
	svc.Name = "after"
	if _, err := cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err = cs.CoreV1().Services("default").Get(ctx, "after", metav1.GetOptions{})
		return err == nil && len(got.Status.LoadBalancer.Ingress) == 1, nil
	})
	if err != nil {
		t.Fatal("no address after re-election")
	}
	if ip := got.Status.LoadBalancer.Ingress[0].IP; ip != "198.51.100.1" {
		t.Fatalf("after re-election the new Service got %s, want 198.51.100.1 (198.51.100.0 is web's)", ip)
	}
	select {
	case err := <-errs:
		t.Fatalf("Main returned: %v", err)
	default:
	}
}
