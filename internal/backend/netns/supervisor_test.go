package netns

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/supervise"
)

// supervisedCluster is a test cluster whose lab supervisor runs in the
// test process, restarting exited daemons after 20 ms.
func supervisedCluster(t *testing.T) *cluster {
	t.Helper()
	c := testCluster(t, "bgp-ecmp", false)
	s, err := supervise.New("", supervise.Backoff{Initial: 20 * time.Millisecond, Max: time.Second, Reset: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = s.Serve(ctx, c.y.supervisorSocket()) }()
	t.Cleanup(func() { cancel(); s.Shutdown(); c.procs.close() })
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(c.y.supervisorSocket()); err == nil {
			return c
		}
		if time.Now().After(end) {
			t.Fatal("the supervisor's socket did not appear")
		}
	}
}

// ensureDaemon keeps, restarts and reports, with real processes; the
// supervisor restarts a daemon that dies.
func TestEnsureDaemon(t *testing.T) {
	c := supervisedCluster(t)
	ctx := context.Background()
	d := daemon{name: "sleeper", file: "sleeper", argv: []string{"sleep", "30"}}
	pid := func() int {
		t.Helper()
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			if st, ok, err := c.procs.status(ctx, d); err == nil && ok && st.State == "running" {
				return st.PID
			}
		}
		t.Fatalf("%s is not running", d.name)
		return 0
	}
	step := func(d daemon) int {
		t.Helper()
		if err := c.ensureDaemon(ctx, d); err != nil {
			t.Fatal(err)
		}
		return pid()
	}
	before := len(c.l.Changes()) // the test cluster's PKI
	first := step(d)
	if again := step(d); again != first {
		t.Error("a running daemon with the same command line must be kept")
	}
	d.argv = []string{"sleep", "31"}
	second := step(d)
	if second == first {
		t.Error("a changed command line must restart the daemon")
	}
	d.stale = "its credentials changed"
	third := step(d)
	d.stale = ""
	if third == second {
		t.Error("a stale daemon must restart")
	}
	_ = syscall.Kill(third, syscall.SIGKILL)
	for end := time.Now().Add(5 * time.Second); pid() == third; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the supervisor did not restart a killed daemon")
		}
	}
	if st, _, _ := c.procs.status(ctx, d); st.Restarts != 1 || !strings.Contains(st.LastExit, "killed") {
		t.Errorf("status after a kill: %+v", st)
	}
	step(d)
	want := []string{"started sleeper", "restarted sleeper (its command line changed)",
		"restarted sleeper (its credentials changed)"}
	if got := c.l.Changes()[before:]; !slices.Equal(got, want) {
		t.Errorf("changes:\n got %q\nwant %q", got, want)
	}
}

// waitUntil fails at once, with the log, when a watched daemon exits.
func TestWaitUntilFailsFast(t *testing.T) {
	c := supervisedCluster(t)
	d := daemon{name: "kube-apiserver", file: "kube-apiserver",
		argv: []string{"sh", "-c", "echo 'E0101 failed to listen on 0.0.0.0:6443: address already in use'; sleep 0.1; exit 1"}}
	if err := c.ensureDaemon(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := c.procs.waitUntil(context.Background(), "waiting for kube-apiserver", time.Minute, []daemon{d},
		func(context.Context) error { return errors.New("connection refused") })
	if err == nil || !strings.Contains(err.Error(), "kube-apiserver exited: exit status 1") ||
		!strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), c.y.logFile("kube-apiserver")) {
		t.Errorf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("a dead daemon must fail the wait at once")
	}
	err = c.procs.waitUntil(context.Background(), "waiting for nothing", 150*time.Millisecond, nil,
		func(context.Context) error { return errors.New("still 503") })
	if err == nil || !strings.Contains(err.Error(), "not done after 150ms (last check: still 503)") {
		t.Errorf("timeout err = %v", err)
	}
}
