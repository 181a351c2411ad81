package netns

import (
	"context"
	"errors"

	"github.com/lblab/lblab/internal/lab"
)

// provisionKubernetes starts the control plane, the nodes and the data plane.
func (b *backend) provisionKubernetes(ctx context.Context, l *lab.Lab, p *plan) error {
	return errors.New("Kubernetes in netns labs is not built yet; use --fabric-only")
}

// Deploy starts the load-balancer controller and the speakers.
func (b *backend) Deploy(ctx context.Context, l *lab.Lab) error {
	return errors.New("the bundled controller is not built yet")
}
