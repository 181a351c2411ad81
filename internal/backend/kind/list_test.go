package kind

import (
	"context"
	"errors"
	"testing"

	"github.com/lblab/lblab/internal/lab"
)

// With no Docker daemon answering, List still returns the kind labs that
// have state (`lblab down --all` lists every backend), and a container
// listing says Docker is missing.
func TestListWithoutDaemon(t *testing.T) {
	t.Setenv(lab.EnvStateDir, t.TempDir())
	t.Setenv("DOCKER_HOST", "unix://"+t.TempDir()+"/no-docker.sock")
	if err := lab.SaveState(&lab.State{Name: "k1", Backend: "kind", Phase: lab.PhaseReady}); err != nil {
		t.Fatal(err)
	}
	d, err := dialDocker()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.List(context.Background(), nil); !errors.Is(err, errNoDocker) {
		t.Errorf("listing containers without a daemon: %v, want it to wrap errNoDocker", err)
	}
	got, err := New(Options{}).List(context.Background())
	if err != nil || len(got) != 1 || got[0] != (lab.Summary{Name: "k1", Backend: "kind"}) {
		t.Errorf("List = %+v, %v; want lab k1 from its state", got, err)
	}
}
