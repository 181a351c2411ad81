package cli

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/status"
)

// listBackend is a backend that lists the given labs and records deletes;
// a lab in fail fails to delete. Its other methods are not called.
type listBackend struct {
	lab.Backend
	name    string
	labs    []string
	fail    string
	deleted []string
}

func (b *listBackend) Name() string { return b.name }

func (b *listBackend) List(context.Context) ([]lab.Summary, error) {
	var out []lab.Summary
	for _, n := range b.labs {
		out = append(out, lab.Summary{Name: n, Backend: b.name})
	}
	return out, nil
}

func (b *listBackend) Delete(_ context.Context, name string) error {
	b.deleted = append(b.deleted, name)
	if name == b.fail {
		return errors.New("no daemon answers")
	}
	return nil
}

// down --all deletes the labs of every backend, each through its own
// backend, and one lab that cannot be deleted neither hides nor stops the
// others. (Fake backends: the netns backend would list the machine's real
// labs, whatever the state dir.)
func TestDownAllCoversEveryBackend(t *testing.T) {
	t.Setenv(lab.EnvStateDir, t.TempDir())
	ns := &listBackend{name: "netns", labs: []string{"a", "b"}}
	kd := &listBackend{name: "kind", labs: []string{"k1", "k2"}, fail: "k1"}
	err := downLabs(context.Background(), status.Discard(), &downFlags{all: true}, []lab.Backend{ns, kd})
	if err == nil || !strings.Contains(err.Error(), `lab "k1": no daemon answers`) {
		t.Errorf("down --all: %v\nwant it to name lab k1's failure", err)
	}
	if !slices.Equal(ns.deleted, []string{"a", "b"}) || !slices.Equal(kd.deleted, []string{"k1", "k2"}) {
		t.Errorf("deleted netns %v, kind %v; want a, b and k1, k2", ns.deleted, kd.deleted)
	}
}
