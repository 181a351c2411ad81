package owner

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Release marks the Lease not renewed (renewTime cleared) so the other
// speakers drop this node at once instead of after LeaseDuration, and stops
// further renewals. Call it on a graceful shutdown, after Run returned or
// while it runs.
func (h *Heartbeat) Release(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.released = true
	leases := h.client.CoordinationV1().Leases(h.cfg.Namespace)
	for attempt := 0; attempt < 3; attempt++ {
		cur, err := leases.Get(ctx, LeaseName(h.node), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get lease: %w", err)
		}
		cur.Spec.RenewTime = nil
		if _, err = leases.Update(ctx, cur, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
			if err != nil {
				return fmt.Errorf("release lease: %w", err)
			}
			return nil
		}
	}
	return fmt.Errorf("lease %s/%s kept changing under the release", h.cfg.Namespace, LeaseName(h.node))
}
