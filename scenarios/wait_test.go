package scenarios

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestWaitHelpers: waitGone ends at NotFound, retries API timeouts, stops
// at any other error and at the deadline; waitFor stops at done, at an
// error and at the deadline, and says how long it took.
func TestWaitHelpers(t *testing.T) {
	gr := schema.GroupResource{Resource: "services"}
	calls := 0
	err := waitGone(context.Background(), func(context.Context) error {
		calls++
		switch calls {
		case 1:
			return nil // still there
		case 2:
			return apierrors.NewTimeoutError("slow", 1)
		}
		return apierrors.NewNotFound(gr, "x")
	})
	if err != nil || calls != 3 {
		t.Errorf("waitGone: %v after %d calls", err, calls)
	}
	boom := errors.New("forbidden")
	if err := waitGone(context.Background(), func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("waitGone on another error: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if err := waitGone(ctx, func(context.Context) error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waitGone at the deadline: %v", err)
	}

	n := 0
	d, err := waitFor(context.Background(), 10*time.Millisecond, func(context.Context) (bool, error) { n++; return n == 3, nil })
	if err != nil || n != 3 || d < 20*time.Millisecond {
		t.Errorf("waitFor: %v after %d calls in %s", err, n, d)
	}
	if _, err := waitFor(context.Background(), time.Millisecond, func(context.Context) (bool, error) { return false, boom }); !errors.Is(err, boom) {
		t.Errorf("waitFor on an error: %v", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := waitFor(ctx2, 10*time.Millisecond, func(context.Context) (bool, error) { return false, nil }); err == nil ||
		!strings.Contains(err.Error(), "deadline") {
		t.Errorf("waitFor at the deadline: %v", err)
	}
}

// An observation that ends within the deadline's last moments (client-go's
// rate limiter refusing to wait past it) does not replace what the
// previous one saw.
func TestPollKeepsTheLastFullObservation(t *testing.T) {
	ctx := context.WithValue(context.Background(), optsKey{}, Options{Interval: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	attempts := 0
	out := poll(ctx, &attempts, func(ctx context.Context) Outcome {
		d, _ := ctx.Deadline()
		if time.Until(d) > 150*time.Millisecond {
			return fail(nil, "node2: missing endpoint 10.244.2.2:80")
		}
		time.Sleep(time.Until(d) - 50*time.Millisecond)
		return fail(nil, "failed to list nodes: client rate limiter Wait returned an error: rate: Wait(n=1) would exceed context deadline")
	})
	if out.Status != Failed || !strings.HasPrefix(out.Reason, "node2: missing endpoint") || attempts < 2 {
		t.Errorf("poll = %s %q after %d attempts; want the last full observation's failure", out.Status, out.Reason, attempts)
	}
}
