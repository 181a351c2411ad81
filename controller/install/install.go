package install

import (
	"context"
	"fmt"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/lblab/lblab/internal/topology"
)

// Install applies the CRDs (waiting until they are Established), Base,
// and the topology's Config. It is idempotent.
func Install(ctx context.Context, cfg *rest.Config, t *topology.Topology) error {
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
	objs, err := Config(t)
	if err != nil {
		return err
	}
	return Apply(ctx, dyn, objs)
}
