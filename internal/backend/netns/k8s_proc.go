package netns

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/lblab/lblab/internal/proc"
)

// daemon is one long-running process of a lab, run by a supervisor.
type daemon struct {
	name string // in messages: "kube-apiserver", "kube-proxy on node1"
	file string // unit, log and pid file name: "kube-apiserver", "node1-kube-proxy"
	ns   string
	// guest is the node whose guest runs it; "" for the lab's supervisor.
	guest string
	argv  []string
	env   []string
	// stale, when set, is why a running instance must be restarted even
	// with the same command line (e.g. its configuration file changed).
	stale string
}

// noProxy clears the user's proxy settings for lab processes: everything
// they talk to is inside the lab, and a corporate proxy cannot reach it.
func noProxy() []string {
	return []string{"HTTP_PROXY=", "HTTPS_PROXY=", "http_proxy=", "https_proxy=", "NO_PROXY=*", "no_proxy=*"}
}

// ensureDaemon keeps a running daemon whose command line is the wanted
// one, and (re)starts it otherwise, saying so through l.Changed.
func (c *cluster) ensureDaemon(ctx context.Context, d daemon) error {
	_, err := c.procs.ensure(ctx, c.l, d)
	return err
}

// waitUntil polls check every interval until it succeeds, failing fast
// when one of the watched daemons exits, and with the last check's error
// and the relevant logs when timeout passes.
func (ps *procs) waitUntil(parent context.Context, what string, timeout time.Duration, watch []daemon,
	check func(context.Context) error) error {
	const interval = 50 * time.Millisecond
	var last, died error
	err := wait.PollUntilContextTimeout(parent, interval, timeout, true, func(ctx context.Context) (bool, error) {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		last = check(cctx)
		cancel()
		if last == nil {
			return true, nil
		}
		died = ps.died(ctx, watch...)
		return false, died
	})
	switch {
	case err == nil:
		return nil
	case died != nil:
		return died
	case parent.Err() != nil:
		return fmt.Errorf("%s: %w", what, parent.Err())
	}
	msg := fmt.Sprintf("%s: not done after %s (last check: %v)", what, timeout, last)
	for _, d := range watch {
		msg += fmt.Sprintf("\nlast lines of %s:\n%s", ps.y.logFile(d.file), indent(proc.Tail(ps.y.logFile(d.file), 10)))
	}
	return errors.New(msg)
}

func indent(s string) string {
	if s == "" {
		return "    (empty)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
