package install

import (
	"context"
	"fmt"
	"net/netip"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/internal/topology"
)

// Install applies the CRDs (waiting until they are Established), Base,
// and the topology's Config (tor: the TOR's addresses on the nodes'
// network, see Config), then deletes the objects an earlier Config of
// this lab made that the topology no longer has. It is idempotent.
func Install(ctx context.Context, cfg *rest.Config, t *topology.Topology, tor []netip.Addr) error {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("failed to create a Kubernetes client: %w", err)
	}
	if err := ApplyCRDs(ctx, dyn); err != nil {
		return err
	}
	base, err := Base()
	if err != nil {
		return err
	}
	if err := Apply(ctx, dyn, base); err != nil {
		return err
	}
	objs, err := Config(t, tor)
	if err != nil {
		return err
	}
	if err := Apply(ctx, dyn, objs); err != nil {
		return err
	}
	return prune(ctx, dyn, t.Name, objs)
}

// prune deletes objects labelled as made from this lab's topology that
// are not in keep.
func prune(ctx context.Context, dyn dynamic.Interface, labName string, keep []unstructured.Unstructured) error {
	want := map[string]bool{}
	for _, o := range keep {
		want[o.GetKind()+"/"+o.GetName()] = true
	}
	for kind, res := range map[string]string{"IPPool": "ippools", "BGPPeer": "bgppeers", "BGPAdvertisement": "bgpadvertisements",
		"L2Advertisement": "l2advertisements"} {
		r := dyn.Resource(v1alpha1.GroupVersion.WithResource(res))
		list, err := r.List(ctx, metav1.ListOptions{LabelSelector: Label + "=" + labName})
		if err != nil {
			return fmt.Errorf("failed to list %s: %w", res, err)
		}
		for _, o := range list.Items {
			if want[kind+"/"+o.GetName()] {
				continue
			}
			if err := r.Delete(ctx, o.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("failed to delete %s %s, which the topology no longer has: %w", kind, o.GetName(), err)
			}
		}
	}
	return nil
}
