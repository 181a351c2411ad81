package bench

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestWaitProgress: a wait ends when its condition holds, when its count
// has stopped moving for ChurnStall, or at its deadline, and says which.
func TestWaitProgress(t *testing.T) {
	for _, tc := range []struct {
		name  string
		count func(i int) (int, bool) // the i-th poll's count, and whether done
		stall time.Duration
		want  bool
		log   string
	}{
		{"done", func(i int) (int, bool) { return i, i >= 3 }, time.Second, true, ""},
		{"stalled", func(int) (int, bool) { return 7, false }, 50 * time.Millisecond, false, "7, unchanged for 50ms, giving up"},
		{"moving until the deadline", func(i int) (int, bool) { return i, false }, 50 * time.Millisecond, false, "after 300ms, giving up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			b := &bench{o: Options{Controller: "x", ChurnStall: tc.stall, Progress: &out}}
			i := 0
			got := b.waitProgress(context.Background(), "wait", 300*time.Millisecond, func() (int, bool) {
				i++
				return tc.count(i)
			})
			if got != tc.want || !strings.Contains(out.String(), tc.log) {
				t.Errorf("waitProgress = %v, progress %q; want %v and %q", got, out.String(), tc.want, tc.log)
			}
		})
	}
}
