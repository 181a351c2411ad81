package owner

import (
	"math"
	"strconv"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// LeaseName is the name of a node's speaker Lease.
func LeaseName(node string) string { return LeasePrefix + node }

// leaseDuration reads a Lease's duration: the millisecond annotation first,
// then spec.leaseDurationSeconds, else def.
func leaseDuration(l *coordinationv1.Lease, def time.Duration) time.Duration {
	if ms, err := strconv.ParseInt(l.Annotations[AnnotationDurationMS], 10, 64); err == nil && ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	if s := l.Spec.LeaseDurationSeconds; s != nil && *s > 0 {
		return time.Duration(*s) * time.Second
	}
	return def
}

// desired is cur (nil to create) renewed now by this node, with the labels,
// annotation and duration it must carry.
func (h *Heartbeat) desired(cur *coordinationv1.Lease) *coordinationv1.Lease {
	l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: LeaseName(h.node), Namespace: h.cfg.Namespace}}
	if cur != nil {
		l = cur.DeepCopy()
	}
	if l.Labels == nil {
		l.Labels = map[string]string{}
	}
	l.Labels[LabelComponent] = ComponentLease
	l.Labels["app.kubernetes.io/name"] = "lblab-speaker"
	if l.Annotations == nil {
		l.Annotations = map[string]string{}
	}
	l.Annotations[AnnotationDurationMS] = strconv.FormatInt(h.cfg.LeaseDuration.Milliseconds(), 10)
	now := metav1.NewMicroTime(h.cfg.Clock.Now())
	s := &l.Spec
	lapsed := s.RenewTime == nil ||
		now.Sub(s.RenewTime.Time) > leaseDuration(l, h.cfg.LeaseDuration)+h.cfg.SkewAllowance
	if s.HolderIdentity == nil || *s.HolderIdentity != h.node || lapsed {
		if s.HolderIdentity != nil && *s.HolderIdentity != h.node {
			s.LeaseTransitions = ptr.To(ptr.Deref(s.LeaseTransitions, 0) + 1)
		}
		s.HolderIdentity = ptr.To(h.node)
		s.AcquireTime = &now // (re)started heartbeating: visible in kubectl
	}
	s.LeaseDurationSeconds = ptr.To(int32(min(math.Ceil(h.cfg.LeaseDuration.Seconds()), math.MaxInt32)))
	s.RenewTime = &now
	return l
}
