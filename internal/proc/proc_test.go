package proc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartAliveStop(t *testing.T) {
	dir := t.TempDir()
	s := Spec{Name: "sleeper", Argv: []string{"sleep", "30"},
		LogFile: filepath.Join(dir, "sleeper.log"), PIDFile: filepath.Join(dir, "sleeper.pid")}
	pid, err := Start(s)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := Alive(s.PIDFile, "sleep"); !ok || got != pid {
		t.Fatalf("Alive = %d, %v; want %d, true", got, ok, pid)
	}
	if _, ok := Alive(s.PIDFile, "kube-apiserver"); ok {
		t.Error("Alive must check the command line, not just the pid")
	}
	if err := Stop(s.PIDFile, "sleep", time.Second); err != nil {
		t.Fatal(err)
	}
	if running(pid, "") {
		t.Error("process still running after Stop")
	}
	if _, err := os.Stat(s.PIDFile); !os.IsNotExist(err) {
		t.Error("pid file left behind")
	}
	log, _ := os.ReadFile(s.LogFile)
	if !strings.Contains(string(log), "starting sleep 30") {
		t.Errorf("log has no start line: %q", log)
	}
}

func TestKillEscalates(t *testing.T) {
	dir := t.TempDir()
	// A process that ignores SIGTERM must still be gone after Kill.
	s := Spec{Name: "stubborn", Argv: []string{"sh", "-c", "trap '' TERM; sleep 30 & wait"},
		LogFile: filepath.Join(dir, "l"), PIDFile: filepath.Join(dir, "p")}
	pid, err := Start(s)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	if err := Kill([]int{pid}, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if running(pid, "") {
		t.Error("stubborn process survived Kill")
	}
	if time.Since(start) < 200*time.Millisecond {
		t.Error("Kill did not wait for the grace period before SIGKILL")
	}
}

func TestTail(t *testing.T) {
	f := filepath.Join(t.TempDir(), "log")
	os.WriteFile(f, []byte("a\nb\nc\nd\n"), 0o644)
	if got := Tail(f, 2); got != "c\nd" {
		t.Errorf("Tail = %q", got)
	}
	if got := Tail(f+"x", 2); got != "" {
		t.Errorf("Tail of a missing file = %q", got)
	}
}

// A process read right after Start is mid-exec for an instant (its command
// line reads empty); Alive and Cmdline must see it as the started program.
func TestAliveRightAfterStart(t *testing.T) {
	dir := t.TempDir()
	for i := range 50 {
		s := Spec{Name: "sleeper", Argv: []string{"sleep", "30"},
			LogFile: filepath.Join(dir, "l"), PIDFile: filepath.Join(dir, "p")}
		pid, err := Start(s)
		if err != nil {
			t.Fatal(err)
		}
		_, ok := Alive(s.PIDFile, "sleep")
		argv := Cmdline(pid)
		_ = Kill([]int{pid}, time.Second)
		if !ok || strings.Join(argv, " ") != "sleep 30" {
			t.Fatalf("start %d: Alive = %v, Cmdline = %q right after Start", i, ok, argv)
		}
	}
}
