package netns

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/run"
)

// TestNSRunnerCilium: on an ebpf node cilium-dbg and bpftool run in the
// agent's mount and network namespaces (nsenter -t <agent pid>), other
// commands in the node's namespace; a dead agent is named.
func TestNSRunnerCilium(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "node1-cilium-agent.pid")
	// First the pid file names a process that is not the agent (this test).
	self := os.Getpid()
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(self)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &run.Recorder{}
	r := nsRunner{ns: "lab_node1", ciliumPID: pidFile, ciliumDbg: "/cache/cilium-dbg", inner: rec}
	ctx := context.Background()
	_, _ = r.Run(ctx, run.Cmd{Name: "ip", Args: []string{"route"}})
	_, err := r.Run(ctx, run.Cmd{Name: "cilium-dbg", Args: []string{"status", "--brief"}})
	if err == nil || !strings.Contains(err.Error(), "the node's Cilium agent is not running") {
		t.Fatalf("an agent pid file naming another program: %v", err)
	}
	got := strings.Join(rec.Lines(), "\n")
	if want := "ip netns exec lab_node1 ip route"; got != want {
		t.Errorf("ran:\n%s\nwant:\n%s", got, want)
	}

	// The real case, with a live process named cilium-agent.
	exe := filepath.Join(dir, "cilium-agent")
	if err := os.Symlink("/bin/sleep", exe); err != nil {
		t.Fatal(err)
	}
	agent := exec.Command(exe, "30")
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = agent.Process.Kill(); _ = agent.Wait() })
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(agent.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec = &run.Recorder{}
	r.inner = rec
	for _, c := range []run.Cmd{{Name: "cilium-dbg", Args: []string{"status", "--brief"}},
		{Name: "bpftool", Args: []string{"map", "show"}}} {
		if _, err := r.Run(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	p := strconv.Itoa(agent.Process.Pid)
	want := "nsenter -t " + p + " -m -n -- /cache/cilium-dbg status --brief\nnsenter -t " + p + " -m -n -- bpftool map show"
	if got := strings.Join(rec.Lines(), "\n"); got != want {
		t.Errorf("ran:\n%s\nwant:\n%s", got, want)
	}
}
