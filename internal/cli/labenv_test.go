package cli

import (
	"testing"

	"github.com/lblab/lblab/internal/backend/kind"
	"github.com/lblab/lblab/internal/backend/netns"
	"github.com/lblab/lblab/internal/lab"
)

// Both backends let verify freeze speakers and run `lblab probe` in the
// nodes; openLab asks them through these interfaces, not by name.
func TestBackendsServeVerify(t *testing.T) {
	for _, b := range []lab.Backend{netns.New(netns.Options{}), kind.New(kind.Options{})} {
		if _, ok := b.(lab.SpeakerBackend); !ok {
			t.Errorf("the %s backend cannot stop speakers", b.Name())
		}
		if pb, ok := b.(lab.ProbeBackend); !ok || pb.ProbePath() == "" {
			t.Errorf("the %s backend names no lblab binary in its nodes", b.Name())
		}
	}
}
