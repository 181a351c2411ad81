package proc

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/testutil"
)

func TestPIDsByNetnsMissing(t *testing.T) {
	byNS, err := PIDsByNetns([]string{"lblab-no-such-netns"})
	if err != nil || len(byNS) != 0 {
		t.Errorf("PIDsByNetns of a missing namespace = %v, %v; want no entry", byNS, err)
	}
	if _, err := NetnsPIDs("lblab-no-such-netns"); !os.IsNotExist(err) {
		t.Errorf("NetnsPIDs of a missing namespace: %v, want a not-exist error", err)
	}
}

// One scan of /proc finds the processes of each of several namespaces.
func TestIntegrationPIDsByNetns(t *testing.T) {
	testutil.Integration(t)
	a, b := "lblabproctest"+strconv.Itoa(os.Getpid())+"a", "lblabproctest"+strconv.Itoa(os.Getpid())+"b"
	for _, ns := range []string{a, b} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	}
	dir := t.TempDir()
	pid, err := Start(Spec{Name: "sleeper", Netns: a, Argv: []string{"sleep", "30"},
		LogFile: dir + "/log", PIDFile: dir + "/pid"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = Kill([]int{pid}, time.Second) })
	time.Sleep(50 * time.Millisecond) // nsenter has entered a
	byNS, err := PIDsByNetns([]string{a, b})
	if err != nil || !slices.Equal(byNS[a], []int{pid}) || len(byNS[b]) != 0 {
		t.Errorf("PIDsByNetns = %v, %v; want [%d] in %s and none in %s", byNS, err, pid, a, b)
	}
	if pids, err := NetnsPIDs(a); err != nil || !slices.Equal(pids, []int{pid}) {
		t.Errorf("NetnsPIDs(%s) = %v, %v; want [%d]", a, pids, err, pid)
	}
}
