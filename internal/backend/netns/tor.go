package netns

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/proc"
	"github.com/lblab/lblab/internal/run"
)

// torInstance is the TOR's FRR instance, under the lab's run directory
// (FRR runs as the frr user, which cannot enter a home directory).
func torInstance(labName string) frr.Instance {
	return frr.Instance{Dir: filepath.Join(lab.RunDir(labName), "tor")}
}

func frrUser() (int, int, error) {
	u, err := user.Lookup("frr")
	if err != nil {
		return 0, 0, fmt.Errorf("no frr user (install the Debian package frr): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return uid, gid, nil
}

// startFRR renders frr.conf and starts every FRR daemon that is not running.
// A changed configuration restarts the instance.
func (b *backend) startFRR(ctx context.Context, l *lab.Lab, p *plan) (err error) {
	step := l.Log.Start("Starting FRR on tor")
	defer func() { step.End(err == nil) }()

	inst := torInstance(p.lab)
	t := l.Topology
	conf, err := frr.Render(frr.Config{
		Lab: p.lab, Hostname: "tor", LogFile: inst.LogPath(),
		ASN: t.TOR.ASN, NodeASN: t.Controller.ASN, RouterID: p.routerID, ListenRanges: t.Network.Prefixes(),
		MaximumPaths: t.TOR.MaximumPaths, KeepaliveTime: t.TOR.KeepaliveTime, HoldTime: t.TOR.HoldTime,
		BFD: frr.BFDOf(t.TOR.BFD),
	})
	if err != nil {
		return err
	}
	uid, gid, err := b.frrUser()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(inst.Dir, 0o755); err != nil {
		return err
	}
	if err := os.Chown(inst.Dir, uid, gid); err != nil {
		return err
	}
	old, _ := os.ReadFile(inst.ConfigPath())
	if !bytes.Equal(old, conf) {
		if len(old) > 0 {
			l.Changed("rewrote frr.conf and restarted FRR on tor")
			b.stopFRR(inst)
		}
		if err := os.WriteFile(inst.ConfigPath(), conf, 0o644); err != nil {
			return err
		}
		if err := os.Chown(inst.ConfigPath(), uid, gid); err != nil {
			return err
		}
	}
	for _, d := range frr.Daemons {
		if _, ok := proc.Alive(inst.PIDFile(d), d); ok {
			continue
		}
		l.Changed("started %s on tor", d)
		args := append([]string{"netns", "exec", p.tor.ns}, inst.DaemonArgs(d)...)
		if _, err := b.runner.Run(ctx, run.Cmd{Name: "ip", Args: args}); err != nil {
			return fmt.Errorf("failed to start FRR's %s on tor: %w\nlast lines of %s:\n%s",
				d, err, inst.LogPath(), proc.Tail(inst.LogPath(), 10))
		}
	}
	return b.waitBGP(ctx, p, inst)
}

// waitBGP waits until bgpd answers vtysh, so the TOR is ready for peers.
func (b *backend) waitBGP(ctx context.Context, p *plan, inst frr.Instance) error {
	args := append(append([]string{"netns", "exec", p.tor.ns, "vtysh"}, inst.VtyshArgs()...), "-c", "show bgp summary json")
	var last error
	err := wait.PollUntilContextTimeout(ctx, 25*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		_, last = b.runner.Run(ctx, run.Cmd{Name: "ip", Args: args})
		return last == nil, nil
	})
	if err != nil {
		if last == nil {
			last = err
		}
		return fmt.Errorf("bgpd on tor did not answer vtysh: %w\nlast lines of %s:\n%s",
			last, inst.LogPath(), proc.Tail(inst.LogPath(), 10))
	}
	return nil
}

func (b *backend) stopFRR(inst frr.Instance) {
	for i := len(frr.Daemons) - 1; i >= 0; i-- {
		d := frr.Daemons[i]
		_ = proc.Stop(inst.PIDFile(d), d, time.Second)
	}
}
