package netns

import (
	"context"
	"fmt"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/proc"
)

// startTolerant is a process of another controller that may exit a few
// times while it starts (controllers.Process.StartExits): the supervisor
// restarts it, as a Pod's restarts would, and up says so instead of
// failing at the first exit.
type startTolerant struct {
	d     daemon
	exits int
}

// exitedTooOften returns an error for the first tolerant process that
// waits to restart after more exits than it may have.
func (ps *procs) exitedTooOften(ctx context.Context, ts []startTolerant) error {
	for _, t := range ts {
		st, ok, err := ps.status(ctx, t.d)
		if err != nil || !ok || st.State != "waiting" || st.Restarts <= t.exits {
			continue
		}
		log := ps.y.logFile(t.d.file)
		return fmt.Errorf("%s %s (restarted %d times so far, %d expected while starting); last lines of %s:\n%s",
			t.d.name, st.LastExit, st.Restarts, t.exits, log, indent(proc.Tail(log, 15)))
	}
	return nil
}

// reportRestarts warns of the tolerant processes that restarted.
func (ps *procs) reportRestarts(ctx context.Context, l *lab.Lab, ts []startTolerant) {
	for _, t := range ts {
		if st, ok, err := ps.status(ctx, t.d); err == nil && ok && st.Restarts > 0 {
			l.Log.Warnf("%s restarted %d times while starting (last: %s); see %s", t.d.name, st.Restarts, st.LastExit, ps.y.logFile(t.d.file))
		}
	}
}
