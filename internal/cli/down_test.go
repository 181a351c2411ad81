package cli

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
)

// down --all deletes the labs of every backend, not only netns ones, and
// one lab that cannot be deleted (a kind lab without Docker) neither hides
// nor stops the others.
func TestDownAllCoversEveryBackend(t *testing.T) {
	// The netns backend lists leftover labs from the machine's named
	// namespaces, not from the state dir: run here, down --all would delete
	// every real lab on the machine (other people's too).
	if entries, _ := os.ReadDir("/run/netns"); slices.ContainsFunc(entries, func(e os.DirEntry) bool {
		return strings.HasSuffix(e.Name(), "_fabric")
	}) {
		t.Skip("netns labs exist on this machine; down --all would delete them")
	}
	t.Setenv(lab.EnvStateDir, t.TempDir())
	t.Setenv(lab.EnvRunDir, t.TempDir())
	t.Setenv(components.EnvCacheDir, t.TempDir())
	t.Setenv("DOCKER_HOST", "unix://"+t.TempDir()+"/no-docker.sock")
	for _, s := range []*lab.State{
		{Name: "down-kind", Backend: "kind", Phase: lab.PhaseReady},
		{Name: "down-netns", Backend: "netns", Phase: lab.PhaseReady, FabricOnly: true},
	} {
		if err := lab.SaveState(s); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := runCLI(t, "down", "--all")
	if err == nil || !strings.Contains(err.Error(), `lab "down-kind": the kind backend needs Docker`) {
		t.Errorf("down --all: %v\nwant it to say that kind lab down-kind needs Docker", err)
	}
	if _, err := os.Stat(lab.StateDir("down-netns")); !os.IsNotExist(err) {
		t.Errorf("the netns lab's state is left: %v", err)
	}
	if _, err := os.Stat(lab.StateDir("down-kind")); err != nil {
		t.Errorf("the kind lab's state went although its containers could not be listed: %v", err)
	}
}
