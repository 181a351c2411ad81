package supervise

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/proc"
)

var fast = Backoff{Initial: 20 * time.Millisecond, Max: 80 * time.Millisecond, Reset: time.Hour}

func sleeper(dir, id string) Unit {
	return Unit{ID: id, Name: id + " on test", Argv: []string{"sleep", "300"},
		LogFile: filepath.Join(dir, id+".log"), PIDFile: filepath.Join(dir, id+".pid")}
}

// waitFor polls until cond holds, failing the test after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func unitStatus(s *Supervisor, id string) Status {
	for _, st := range s.Status() {
		if st.ID == id {
			return st
		}
	}
	return Status{}
}

func isRunning(s *Supervisor, id string) func() bool {
	return func() bool {
		st := unitStatus(s, id)
		return st.State == "running" && proc.Running(st.PID)
	}
}

func TestRestartsAfterExit(t *testing.T) {
	dir := t.TempDir()
	s, err := New(filepath.Join(dir, "units.json"), fast)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	u := sleeper(dir, "a")
	if res, err := s.Ensure(u, ""); err != nil || res.Action != Started {
		t.Fatalf("Ensure = %+v, %v; want started", res, err)
	}
	waitFor(t, "a running", isRunning(s, "a"))
	first := unitStatus(s, "a").PID
	if got := proc.ReadPID(u.PIDFile); got != first {
		t.Fatalf("pid file says %d, status %d", got, first)
	}
	_ = syscall.Kill(first, syscall.SIGKILL)
	waitFor(t, "a restarted", func() bool { st := unitStatus(s, "a"); return st.PID != first && isRunning(s, "a")() })
	st := unitStatus(s, "a")
	if st.Restarts != 1 || !strings.Contains(st.LastExit, "killed") {
		t.Errorf("after a kill: restarts %d, last exit %q; want 1 and a kill", st.Restarts, st.LastExit)
	}
	log, _ := os.ReadFile(u.LogFile)
	if strings.Count(string(log), "starting sleep 300") != 2 || !strings.Contains(string(log), "restarting in") {
		t.Errorf("log does not show two starts and the restart:\n%s", log)
	}
}

func TestEnsureKeepsOrRestarts(t *testing.T) {
	dir := t.TempDir()
	s, err := New("", fast)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	u := sleeper(dir, "b")
	if _, err := s.Ensure(u, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b running", isRunning(s, "b"))
	pid := unitStatus(s, "b").PID
	changed := u
	changed.Argv = []string{"sleep", "301"}
	tests := []struct {
		unit    Unit
		restart string
		want    Result
	}{
		{u, "", Result{Action: Kept}},
		{u, "its configuration changed", Result{Action: Restarted, Reason: "its configuration changed"}},
		{changed, "", Result{Action: Restarted, Reason: "its command line changed"}},
		{changed, "", Result{Action: Kept}},
	}
	for i, tt := range tests {
		res, err := s.Ensure(tt.unit, tt.restart)
		if err != nil || res != tt.want {
			t.Errorf("step %d: Ensure = %+v, %v; want %+v", i, res, err, tt.want)
		}
		waitFor(t, "b running", isRunning(s, "b"))
	}
	if proc.Running(pid) {
		t.Errorf("the first process (pid %d) still runs after two restarts", pid)
	}
	last := unitStatus(s, "b").PID
	if err := s.Remove("b"); err != nil {
		t.Fatal(err)
	}
	if proc.Running(last) || len(s.Status()) != 0 {
		t.Errorf("after Remove: pid %d running %v, units %v", last, proc.Running(last), s.Status())
	}
	if _, err := s.Ensure(Unit{ID: "c"}, ""); err == nil {
		t.Error("a unit without a command was accepted")
	}
}

// startOutside starts u's command as no supervisor would, with its pid
// in u's pid file: a process a predecessor left running.
func startOutside(t *testing.T, u Unit) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(u.Argv[0], u.Argv[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	if err := os.WriteFile(u.PIDFile, []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// A new supervisor adopts the processes its predecessor left running.
func TestAdoptsFromPIDFile(t *testing.T) {
	dir := t.TempDir()
	u := sleeper(dir, "d")
	cmd := startOutside(t, u)
	data, _ := json.Marshal([]Unit{u})
	file := filepath.Join(dir, "units.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(file, fast)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	waitFor(t, "d adopted", func() bool { return unitStatus(s, "d").PID == cmd.Process.Pid })
	_ = cmd.Process.Kill()
	waitFor(t, "d restarted", func() bool {
		st := unitStatus(s, "d")
		return st.PID != cmd.Process.Pid && isRunning(s, "d")()
	})
	if st := unitStatus(s, "d"); st.Restarts != 1 {
		t.Errorf("restarts = %d, want 1", st.Restarts)
	}
}

func TestAPI(t *testing.T) {
	dir := t.TempDir()
	s, err := New("", fast)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sock := filepath.Join(dir, "s.sock")
	go func() { _ = s.Serve(ctx, sock) }()
	c := UnixClient(sock)
	t.Cleanup(c.Close)
	waitFor(t, "the socket", func() bool { _, err := os.Stat(sock); return err == nil })
	res, err := c.Ensure(ctx, sleeper(dir, "e"), "")
	if err != nil || res.Action != Started {
		t.Fatalf("Ensure = %+v, %v", res, err)
	}
	waitFor(t, "e running", isRunning(s, "e"))
	st, err := c.Status(ctx)
	if err != nil || len(st) != 1 || st[0].ID != "e" || st[0].State != "running" {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	if _, err := c.Ensure(ctx, Unit{ID: "f"}, ""); err == nil || !strings.Contains(err.Error(), "needs an id, a command") {
		t.Errorf("a bad unit: err = %v", err)
	}
	if err := c.Remove(ctx, "e"); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.Status(ctx); len(st) != 0 {
		t.Errorf("after Remove: %+v", st)
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: 4 * time.Second, Reset: 10 * time.Second}
	var d time.Duration
	var got []time.Duration
	for _, ran := range []time.Duration{0, 0, 0, 0, 0, 11 * time.Second, 0} {
		d = b.next(d, ran)
		got = append(got, d)
	}
	want := []time.Duration{1, 2, 4, 4, 4, 1, 2}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("delays = %v, want %v s", got, want)
		}
	}
}

// Ensure adopts a process started before the supervisor knew its unit.
func TestEnsureAdopts(t *testing.T) {
	dir := t.TempDir()
	u := sleeper(dir, "g")
	cmd := startOutside(t, u)
	s, err := New("", fast)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	if res, err := s.Ensure(u, ""); err != nil || res.Action != Kept {
		t.Fatalf("Ensure = %+v, %v; want kept (adopted)", res, err)
	}
	waitFor(t, "g adopted", func() bool { return unitStatus(s, "g").PID == cmd.Process.Pid })
}
