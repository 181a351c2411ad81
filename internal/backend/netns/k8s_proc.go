package netns

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/proc"
)

// daemon is one long-running Kubernetes process of a lab.
type daemon struct {
	name  string // in messages: "kube-apiserver", "kube-proxy on node1"
	file  string // log and pid file base name: "kube-apiserver", "node1-kube-proxy"
	ns    string
	argv  []string
	env   []string
	match string // what its command line must contain (pid reuse guard)
	// stale, when set, is why a running instance must be restarted even
	// with the same command line (e.g. its configuration file changed).
	stale string
}

func (d daemon) spec(y k8sLayout) proc.Spec {
	return proc.Spec{Name: d.name, Netns: d.ns, Argv: d.argv, Env: append(noProxy(), d.env...),
		LogFile: y.logFile(d.file), PIDFile: y.pidFile(d.file)}
}

// noProxy clears the user's proxy settings for lab processes: everything
// they talk to is inside the lab, and a corporate proxy cannot reach it.
func noProxy() []string {
	return []string{"HTTP_PROXY=", "HTTPS_PROXY=", "http_proxy=", "https_proxy=", "NO_PROXY=*", "no_proxy=*"}
}

// ensureDaemon keeps a running daemon whose command line is the wanted
// one, and (re)starts it otherwise, saying so through l.Changed.
func ensureDaemon(l *lab.Lab, y k8sLayout, d daemon) error {
	_, err := ensureDaemonStarted(l, y, d)
	return err
}

// ensureDaemonStarted is ensureDaemon that also reports whether it
// (re)started the daemon.
func ensureDaemonStarted(l *lab.Lab, y k8sLayout, d daemon) (bool, error) {
	s := d.spec(y)
	if pid, ok := proc.Alive(s.PIDFile, d.match); ok {
		reason := d.stale
		if !slices.Equal(proc.Cmdline(pid), d.argv) {
			reason = "its command line changed"
		}
		if reason == "" {
			return false, nil
		}
		l.Changed("restarted %s (%s)", d.name, reason)
		if err := proc.Stop(s.PIDFile, d.match, 3*time.Second); err != nil {
			return false, fmt.Errorf("failed to stop %s: %w", d.name, err)
		}
	} else if proc.ReadPID(s.PIDFile) != 0 {
		l.Changed("restarted %s (it was not running)", d.name)
	} else {
		l.Changed("started %s", d.name)
	}
	if _, err := proc.Start(s); err != nil {
		return false, fmt.Errorf("failed to start %s: %w", d.name, err)
	}
	return true, nil
}

// daemonDied returns an error naming the first daemon that is not running,
// with the end of its log.
func daemonDied(y k8sLayout, ds ...daemon) error {
	for _, d := range ds {
		if _, ok := proc.Alive(y.pidFile(d.file), d.match); !ok {
			return fmt.Errorf("%s exited; last lines of %s:\n%s\n(full log: %s)",
				d.name, y.logFile(d.file), indent(proc.Tail(y.logFile(d.file), 15)), y.logFile(d.file))
		}
	}
	return nil
}

// waitUntil polls check every interval until it succeeds, failing fast
// when one of the watched daemons dies, and with the last check's error and
// the relevant log when timeout passes.
func waitUntil(parent context.Context, y k8sLayout, what string, timeout time.Duration, watch []daemon,
	check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	const interval = 50 * time.Millisecond
	var last error
	for {
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		last = check(cctx)
		ccancel()
		if last == nil {
			return nil
		}
		if err := daemonDied(y, watch...); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return fmt.Errorf("%s: %w", what, parent.Err())
			}
			msg := fmt.Sprintf("%s: not done after %s (last check: %v)", what, timeout, last)
			for _, d := range watch {
				msg += fmt.Sprintf("\nlast lines of %s:\n%s", y.logFile(d.file), indent(proc.Tail(y.logFile(d.file), 10)))
			}
			return fmt.Errorf("%s", msg)
		case <-time.After(interval):
		}
	}
}

func indent(s string) string {
	if s == "" {
		return "    (empty)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
