package owner

import (
	"context"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func lease(node, holder string, renew, acquire *time.Time, transitions int32) *coordinationv1.Lease {
	l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: LeaseName(node), Namespace: v1alpha1.NodeLeaseNamespace}}
	if holder != "" {
		l.Spec.HolderIdentity = ptr.To(holder)
	}
	if renew != nil {
		l.Spec.RenewTime = &metav1.MicroTime{Time: *renew}
	}
	if acquire != nil {
		l.Spec.AcquireTime = &metav1.MicroTime{Time: *acquire}
	}
	l.Spec.LeaseTransitions = ptr.To(transitions)
	return l
}

func getLease(t *testing.T, c *fake.Clientset, node string) *coordinationv1.Lease {
	t.Helper()
	l, err := c.CoordinationV1().Leases(v1alpha1.NodeLeaseNamespace).Get(context.Background(), LeaseName(node), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestHeartbeatWritesLease(t *testing.T) {
	ago := func(d time.Duration) *time.Time { return ptr.To(t0.Add(-d)) }
	cases := []struct {
		name            string
		existing        *coordinationv1.Lease
		wantAcquire     time.Time
		wantTransitions int32
	}{
		{"creates", nil, t0, 0},
		{"renews its live lease, keeping acquireTime", lease("n1", "n1", ago(time.Second), ago(time.Hour), 4), t0.Add(-time.Hour), 4},
		{"restarts after its lease lapsed", lease("n1", "n1", ago(time.Hour), ago(2*time.Hour), 4), t0, 4},
		{"restarts after a release", lease("n1", "n1", nil, ago(2*time.Hour), 4), t0, 4},
		{"takes over from another holder", lease("n1", "x", ago(time.Second), ago(time.Hour), 4), t0, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewClientset()
			if tc.existing != nil {
				tc.existing.Annotations = map[string]string{AnnotationDurationMS: "99"}
				c = fake.NewClientset(tc.existing)
			}
			h := NewHeartbeat(c, "n1", Config{Clock: clocktesting.NewFakeClock(t0)})
			h.renewOnce(context.Background())
			l := getLease(t, c, "n1")
			s := l.Spec
			switch {
			case ptr.Deref(s.HolderIdentity, "") != "n1":
				t.Errorf("holder %v", ptr.Deref(s.HolderIdentity, "<nil>"))
			case s.RenewTime == nil || !s.RenewTime.Time.Equal(t0):
				t.Errorf("renewTime %v, want %v", s.RenewTime, t0)
			case s.AcquireTime == nil || !s.AcquireTime.Time.Equal(tc.wantAcquire):
				t.Errorf("acquireTime %v, want %v", s.AcquireTime, tc.wantAcquire)
			case ptr.Deref(s.LeaseTransitions, 0) != tc.wantTransitions:
				t.Errorf("leaseTransitions %d, want %d", ptr.Deref(s.LeaseTransitions, 0), tc.wantTransitions)
			case ptr.Deref(s.LeaseDurationSeconds, 0) != 2: // 1.5 s rounded up
				t.Errorf("leaseDurationSeconds %d, want 2", ptr.Deref(s.LeaseDurationSeconds, 0))
			case l.Annotations[AnnotationDurationMS] != "1500":
				t.Errorf("annotation %q, want 1500", l.Annotations[AnnotationDurationMS])
			case l.Labels[LabelComponent] != ComponentLease:
				t.Errorf("labels %v", l.Labels)
			case !h.LastRenewed().Equal(t0):
				t.Errorf("LastRenewed %v, want %v", h.LastRenewed(), t0)
			}
		})
	}
}

// A renewal survives a conflict (someone else wrote the Lease) and a Lease
// deleted under it, each within the same attempt.
func TestHeartbeatRecovers(t *testing.T) {
	cases := []struct {
		name    string
		breakIt func(c *fake.Clientset)
	}{
		{"conflict", func(c *fake.Clientset) {
			once := true
			c.PrependReactor("update", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
				if once {
					once = false
					return true, nil, apierrors.NewConflict(coordinationv1.Resource("leases"), "x", nil)
				}
				return false, nil, nil
			})
		}},
		{"deleted", func(c *fake.Clientset) {
			_ = c.CoordinationV1().Leases(v1alpha1.NodeLeaseNamespace).Delete(context.Background(), LeaseName("n1"), metav1.DeleteOptions{})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewClientset()
			clk := clocktesting.NewFakeClock(t0)
			h := NewHeartbeat(c, "n1", Config{Clock: clk})
			h.renewOnce(context.Background())
			tc.breakIt(c)
			clk.Step(time.Second)
			h.renewOnce(context.Background())
			if l := getLease(t, c, "n1"); !l.Spec.RenewTime.Time.Equal(clk.Now()) {
				t.Fatalf("renewTime %v, want %v", l.Spec.RenewTime, clk.Now())
			}
		})
	}
}
