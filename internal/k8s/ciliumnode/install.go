package ciliumnode

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/lblab/lblab/controller/install"
)

// Install applies Cilium's CRDs (the files from its module that the
// operator would register; there is no operator) and waits until they are
// established, then the agent's RBAC.
func Install(ctx context.Context, cfg *rest.Config, crdFiles []string) error {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	var crds []unstructured.Unstructured
	for _, f := range crdFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("failed to read Cilium's CRD: %w", err)
		}
		objs, err := install.Decode(data)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		crds = append(crds, objs...)
	}
	// 22 large schemas: one at a time they take the API server seconds.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(6)
	for _, crd := range crds {
		g.Go(func() error { return install.ApplyCRDObjects(gctx, dyn, []unstructured.Unstructured{crd}) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var rbac []unstructured.Unstructured
	for _, o := range RBAC() {
		u, err := install.ToUnstructured(o)
		if err != nil {
			return err
		}
		rbac = append(rbac, u)
	}
	return install.Apply(ctx, dyn, rbac)
}
