package metallb

import (
	"context"
	"fmt"
	"net/netip"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/internal/topology"
)

// Install applies MetalLB's CRDs (waiting until they are Established),
// its namespace, ServiceAccounts and RBAC, all read from src (MetalLB's
// module directory), then the topology's Config, and deletes the
// configuration objects an earlier Config of this lab made that the
// topology no longer has, and makes every node's speaker Pod object. It
// returns Config's notes. It is idempotent.
func Install(ctx context.Context, cfg *rest.Config, t *topology.Topology, tor []netip.Addr, src string) ([]string, error) {
	objs, notes, err := Config(t, tor)
	if err != nil {
		return nil, err
	}
	crds, widened, err := CRDs(src)
	if err != nil {
		return nil, err
	}
	if widened > 0 {
		notes = append(notes, fmt.Sprintf("%d uint32 fields of MetalLB's CRDs declared format int32 were applied as int64 (kube-apiserver v1.37 checks bounds against the format)", widened))
	}
	rbac, err := RBAC(src)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to create a Kubernetes client: %w", err)
	}
	if err := install.ApplyCRDObjects(ctx, dyn, crds); err != nil {
		return nil, err
	}
	if err := install.Apply(ctx, dyn, rbac); err != nil {
		return nil, err
	}
	if err := install.ApplyKinds(ctx, dyn, Kinds, objs); err != nil {
		return nil, err
	}
	if err := prune(ctx, dyn, t.Name, objs); err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to create a Kubernetes client: %w", err)
	}
	return notes, ensureSpeakerPods(ctx, cs)
}

// prune deletes the configuration objects labelled with this lab's name
// that are not in keep.
func prune(ctx context.Context, dyn dynamic.Interface, labName string, keep []unstructured.Unstructured) error {
	want := map[string]bool{}
	for _, o := range keep {
		want[o.GetKind()+"/"+o.GetName()] = true
	}
	for gvk, r := range Kinds {
		ri := dyn.Resource(gvk.GroupVersion().WithResource(r.Name)).Namespace(Namespace)
		list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: Label + "=" + labName})
		if err != nil {
			return fmt.Errorf("failed to list MetalLB %s: %w", r.Name, err)
		}
		for _, o := range list.Items {
			if want[gvk.Kind+"/"+o.GetName()] {
				continue
			}
			if err := ri.Delete(ctx, o.GetName(), metav1.DeleteOptions{}); err != nil {
				return fmt.Errorf("failed to delete MetalLB %s %s/%s, which the topology no longer has: %w", gvk.Kind, Namespace, o.GetName(), err)
			}
		}
	}
	return nil
}
