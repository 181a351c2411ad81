package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/lab"
)

// Without a Docker daemon, `lblab up --backend kind` fails before anything
// is created, says why, and points at the netns backend. DOCKER_HOST names
// a socket that cannot exist, so this holds on machines with Docker too.
func TestUpKindWithoutDocker(t *testing.T) {
	state, runDir := t.TempDir(), t.TempDir()
	t.Setenv(lab.EnvStateDir, state)
	t.Setenv(lab.EnvRunDir, runDir)
	t.Setenv("DOCKER_HOST", "unix://"+t.TempDir()+"/no-docker.sock")
	_, _, err := runCLI(t, "up", "--backend", "kind", "--name", "kind-nodocker")
	if err == nil {
		t.Fatal("up --backend kind succeeded without Docker")
	}
	for _, want := range []string{"the kind backend needs Docker", "--backend netns"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\nwant it to contain %q", err, want)
		}
	}
	for _, dir := range []string{state, runDir} {
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("%s is not empty after a refused up: %v", dir, entries)
		}
	}
}
