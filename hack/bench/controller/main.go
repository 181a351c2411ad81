// Command controller-bench measures the bundled lblab controller against a
// lab's real kube-apiserver, with an in-process client-go client (no
// kubectl): how long from a Service's create to its status.loadBalancer
// address (one at a time), how long churns of N Services created and
// deleted as fast as the API server takes them need to be fully addressed
// and released, and the controller's RSS.
//
//	go run ./hack/bench/controller -lab ctrl-bench -churn 1000,5000
//
// The BGP figures (UPDATE on the wire, route in the TOR's FIB) are the
// speaker bench's: go run ./hack/bench/speaker -lab NAME -controller.
// It prints figures and asserts nothing.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/internal/lab"
)

type options struct {
	lab       string
	latency   int
	churn     string
	parallel  int
	namespace string
	pool      string
}

func main() {
	var o options
	flag.StringVar(&o.lab, "lab", "", "name of a lab with Kubernetes and the lblab controller")
	flag.IntVar(&o.latency, "latency", 100, "Services created one at a time for the latency figures")
	flag.StringVar(&o.churn, "churn", "1000,5000", "churn sizes, comma-separated")
	flag.IntVar(&o.parallel, "parallel", 8, "parallel API clients in the churn phases")
	flag.StringVar(&o.namespace, "namespace", "ctrl-bench", "namespace for the bench's Services (created and deleted)")
	flag.StringVar(&o.pool, "pool", "100.66.0.0/16", "addresses of the bench's IPPool "+benchPool+" (autoAssign false)")
	flag.Parse()
	if o.lab == "" {
		fmt.Fprintln(os.Stderr, "usage: controller-bench -lab NAME [-latency N] [-churn N,M] [-parallel P]")
		os.Exit(2)
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	kc := filepath.Join(lab.StateDir(o.lab), "kubeconfig")
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		return fmt.Errorf("failed to load %s (is lab %s up?): %w", kc, o.lab, err)
	}
	cfg.QPS, cfg.Burst = -1, 0
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if err := ensurePool(ctx, dyn, o.pool); err != nil {
		return err
	}
	b, err := newBench(ctx, cs, o)
	if err != nil {
		return err
	}
	defer b.close()
	fmt.Printf("controller bench: lab %s, controller pid %d, %d parallel clients\n", o.lab, b.pid, o.parallel)
	b.printRSS("at start")
	if o.latency > 0 {
		if err := b.latencyPhase(ctx, o.latency); err != nil {
			return err
		}
	}
	for _, s := range strings.Split(o.churn, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			continue
		}
		if err := b.churnPhase(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// ensurePool creates or updates the bench's IPPool.
func ensurePool(ctx context.Context, dyn dynamic.Interface, addrs string) error {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": v1alpha1.GroupVersion.String(), "kind": "IPPool",
		"metadata": map[string]any{"name": benchPool},
		"spec":     map[string]any{"addresses": []any{addrs}, "autoAssign": false},
	}}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return err
	}
	_, err = dyn.Resource(v1alpha1.GroupVersion.WithResource("ippools")).Patch(ctx, benchPool, types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: "controller-bench"})
	if err != nil {
		return fmt.Errorf("failed to apply IPPool %s: %w", benchPool, err)
	}
	return nil
}
