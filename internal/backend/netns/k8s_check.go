package netns

import (
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
)

// kubernetesSupported checks, before anything is created, that the
// Kubernetes binaries are cached, in --k8s-bin-dir, or can be built.
func (b *backend) kubernetesSupported(l *lab.Lab) error {
	if l.Options.FabricOnly {
		return nil
	}
	return b.k8sCheck(components.Options{BinDir: l.Options.K8sBinDir})
}
