package netns

import (
	"context"
	"strings"
	"testing"
	"time"
)

// exitedTooOften tolerates a process's first exits and reports it once it
// exits more often than it may, with real processes under the supervisor.
func TestExitedTooOften(t *testing.T) {
	c := supervisedCluster(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		argv  []string
		exits int
		dead  bool
	}{
		{"runs", []string{"sleep", "30"}, 2, false},
		{"keeps exiting", []string{"sh", "-c", "exit 3"}, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := daemon{name: tc.name, file: strings.ReplaceAll(tc.name, " ", "-"), argv: tc.argv}
			if err := c.ensureDaemon(ctx, d); err != nil {
				t.Fatal(err)
			}
			ts := []startTolerant{{d, tc.exits}}
			var err error
			for end := time.Now().Add(3 * time.Second); time.Now().Before(end) && err == nil; time.Sleep(20 * time.Millisecond) {
				err = c.procs.exitedTooOften(ctx, ts)
			}
			if (err != nil) != tc.dead {
				t.Fatalf("exitedTooOften = %v, want dead %v", err, tc.dead)
			}
			if tc.dead && !strings.Contains(err.Error(), "2 expected while starting") {
				t.Errorf("the error does not say how many exits were expected: %v", err)
			}
		})
	}
}
