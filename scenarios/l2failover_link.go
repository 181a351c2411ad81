package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/lblab/lblab/internal/lab"
)

// linkWatchdog is how long a link stays down when l2-failover does not
// bring it back itself: the check died, or the node's commands go over
// that very link (a user-mode Linux guest's SSH).
const linkWatchdog = 20 * time.Second

// linkFault takes the node's fabric interface (the one holding its fabric
// address) down from inside the node, through its command interface, so
// it works on any backend. A watchdog started first in the node brings it
// back after linkWatchdog unless the returned restore does so before.
func linkFault(ctx context.Context, env Env, node lab.Node) (func(context.Context) error, string, error) {
	raw, err := node.Command(ctx, "ip", "-j", "addr", "show")
	if err != nil {
		return nil, "", fmt.Errorf("failed to read %s's addresses: %w", node.Name, err)
	}
	dev, up, addrs, err := fabricLink(raw, node.Addrs)
	if err != nil {
		return nil, "", fmt.Errorf("%s's fabric interface: %w", node.Name, err)
	} else if !up {
		return nil, dev, fmt.Errorf("%s's %s is down already", node.Name, dev)
	}
	var routes [2][]byte
	for i, fam := range []string{"-4", "-6"} {
		if routes[i], err = node.Command(ctx, "ip", "-j", fam, "route", "show", "dev", dev); err != nil {
			return nil, dev, fmt.Errorf("failed to read %s's routes through %s: %w", node.Name, dev, err)
		}
	}
	lines, err := linkRestoreLines(dev, addrs, deprecatedAddrs(raw), routes[0], routes[1])
	if err != nil {
		return nil, dev, fmt.Errorf("%s's %s: %w", node.Name, dev, err)
	}
	pidFile := "/tmp/lblab-l2-failover-" + env.Name() + "-" + node.Name + ".pid"
	if !safeToken.MatchString(pidFile) {
		return nil, dev, fmt.Errorf("lab or node name unfit for a file name: %q", pidFile)
	}
	rl := &linkRestore{node: node, dev: dev, pidFile: pidFile, lines: lines, addrs: addrs, routes: routes}
	down := fmt.Sprintf(`f=%s; rm -f "$f"
S=; command -v setsid >/dev/null 2>&1 && S=setsid
$S sh -c 'echo $$ >"$0"; sleep %d; %s; rm -f "$0"' "$f" </dev/null >/dev/null 2>&1 &
i=0; while [ ! -s "$f" ] && [ $i -lt 300 ]; do sleep 0.01; i=$((i+1)); done
[ -s "$f" ] || { echo "the watchdog that brings %s back did not start" >&2; exit 1; }
ip link set dev %s down`, pidFile, int(linkWatchdog/time.Second), strings.Join(lines, "; "), dev, dev)
	dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	_, err = node.Command(dctx, "sh", "-c", down)
	cancel()
	if err != nil && linkStillUp(ctx, node, dev) {
		_ = rl.restore(ctx)
		return nil, dev, fmt.Errorf("failed to take %s's %s down: %w", node.Name, dev, err)
	}
	// Else the link is down; a command that went over it got no answer.
	return rl.restore, dev, nil
}

// linkStillUp looks whether dev is still up after a failed attempt to take
// it down; no answer within 2 s counts as down: a runner that goes over the
// link itself (SSH) may not even give up on its own.
func linkStillUp(ctx context.Context, node lab.Node, dev string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	up := make(chan bool, 1)
	go func() {
		raw, err := node.Command(ctx, "ip", "-j", "addr", "show", "dev", dev)
		_, isUp, _, perr := fabricLink(raw, node.Addrs)
		up <- err == nil && (perr != nil || isUp)
	}()
	select {
	case u := <-up:
		return u
	case <-ctx.Done():
		return false
	}
}

// linkRestore brings a link back as it was before linkFault.
type linkRestore struct {
	node    lab.Node
	dev     string
	pidFile string
	lines   []string
	addrs   []netip.Prefix
	routes  [2][]byte // `ip -j -4|-6 route show dev` before
}

// restore stops the watchdog and runs the restore lines until the link is
// up with its addresses and routes (on a node reached over the link, not
// before the watchdog brought it back).
func (rl *linkRestore) restore(ctx context.Context) error {
	// The watchdog leads its own process group (setsid): kill it with its sleep.
	script := fmt.Sprintf(`f=%s; if [ -s "$f" ]; then p=$(cat "$f"); kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null; fi; rm -f "$f"; %s`,
		rl.pidFile, strings.Join(rl.lines, "; "))
	var last error
	_, err := waitFor(ctx, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		actx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if _, err := rl.node.Command(actx, "sh", "-c", script); err != nil {
			last = err
			return false, nil
		}
		last = rl.check(actx)
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("%s's %s is not back as it was: %v (%w)", rl.node.Name, rl.dev, last, err)
	}
	return nil
}

// check reports what of the link is not back: up, addresses, routes.
func (rl *linkRestore) check(ctx context.Context) error {
	raw, err := rl.node.Command(ctx, "ip", "-j", "addr", "show", "dev", rl.dev)
	if err != nil {
		return err
	}
	_, up, have, err := fabricLink(raw, rl.node.Addrs)
	if err != nil {
		return err
	} else if !up {
		return fmt.Errorf("%s is down", rl.dev)
	}
	for _, a := range rl.addrs {
		if !slices.Contains(have, a) {
			return fmt.Errorf("%s lacks %s", rl.dev, a)
		}
	}
	for i, fam := range []string{"-4", "-6"} {
		want, err := routeDsts(rl.routes[i])
		if err != nil {
			return err
		}
		raw, err := rl.node.Command(ctx, "ip", "-j", fam, "route", "show", "dev", rl.dev)
		if err != nil {
			return err
		}
		got, err := routeDsts(raw)
		if err != nil {
			return err
		}
		if missing, _ := addrDiff(want, got); len(missing) > 0 {
			return fmt.Errorf("no route to %s through %s", strings.Join(missing, ", "), rl.dev)
		}
	}
	return nil
}
