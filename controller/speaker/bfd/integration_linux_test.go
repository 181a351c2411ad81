package bfd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/lblab/lblab/internal/testutil"
)

// TestIntegrationBFDAgainstFRR runs FRR's bfdd in one network namespace and
// two sessions of this package (IPv4 and IPv6) in another, joined by a veth;
// both sides must come Up with 300 ms × 3, and when bfdd is killed our
// sessions must go Down within the detection time.
func TestIntegrationBFDAgainstFRR(t *testing.T) {
	testutil.Integration(t)
	for _, bin := range []string{frrBfdd, "vtysh", "ip"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv(testutil.EnvIntegration) == "1" {
				t.Fatalf("%s is missing: %v", bin, err)
			}
			t.Skipf("%s is missing: %v", bin, err)
		}
	}
	id := make([]byte, 3)
	_, _ = rand.Read(id)
	suffix := hex.EncodeToString(id)
	nsFRR, nsUs := "lbbfd-frr-"+suffix, "lbbfd-us-"+suffix
	vethFRR, vethUs := "bfdf"+suffix, "bfdu"+suffix
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("failed to run %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	for _, ns := range []string{nsFRR, nsUs} {
		run("ip", "netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", vethFRR).Run() }) // if left in the host
	run("ip", "link", "add", vethFRR, "netns", nsFRR, "type", "veth", "peer", "name", vethUs, "netns", nsUs)
	v4FRR, v4Us := netip.MustParseAddr("10.250.0.1"), netip.MustParseAddr("10.250.0.2")
	v6FRR, v6Us := netip.MustParseAddr("fd00:bfd::1"), netip.MustParseAddr("fd00:bfd::2")
	for _, side := range []struct {
		ns, dev string
		v4, v6  netip.Addr
	}{{nsFRR, vethFRR, v4FRR, v6FRR}, {nsUs, vethUs, v4Us, v6Us}} {
		run("ip", "-n", side.ns, "addr", "add", side.v4.String()+"/24", "dev", side.dev)
		run("ip", "-n", side.ns, "-6", "addr", "add", side.v6.String()+"/64", "dev", side.dev, "nodad")
		run("ip", "-n", side.ns, "link", "set", "lo", "up")
		run("ip", "-n", side.ns, "link", "set", side.dev, "up")
	}

	dir := t.TempDir()
	bfdd := startBfdd(t, dir, nsFRR, []netip.Addr{v4Us, v6Us}, []netip.Addr{v4FRR, v6FRR})

	handle, err := netns.GetFromName(nsUs)
	if err != nil {
		t.Fatalf("failed to open netns %s: %v", nsUs, err)
	}
	t.Cleanup(func() { handle.Close() })
	srv := NewServer()
	v4 := startInNetns(t, handle, Config{Local: v4Us, Peer: v4FRR, Interface: vethUs, Server: srv})
	v6 := startInNetns(t, handle, Config{Local: v6Us, Peer: v6FRR, Interface: vethUs, Server: srv})
	t.Logf("Up on both sides, 300 ms × 3 negotiated, after %v", waitBothUp(t, bfdd, v4, v6))
	time.Sleep(2 * time.Second)
	for _, r := range []*running{v4, v6} {
		if r.s.State() != Up {
			t.Fatalf("%s flapped: %+v", r.s.Config().Peer, r.s.Status())
		}
	}

	// Our IPv4 session dies without a word: FRR must see it Down within its
	// detection time (3 × 300 ms), as the TOR will when a speaker dies.
	crashed := v4.crash()
	for {
		took := time.Since(crashed)
		if p := bfdd.peer(t, v4Us); p.Status != "up" {
			t.Logf("FRR: %s %s %v after our session died", v4Us, p.Status, took.Round(time.Millisecond))
			if took > 2*time.Second { // detection is 900 ms; a busy machine delays timers
				t.Errorf("FRR saw %s down only after %v, want within its detection time (900 ms; 2 s allowed)", v4Us, took)
			}
			break
		}
		if took > 3*time.Second {
			t.Fatalf("FRR still has %s up 3 s after our session died", v4Us)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A new session for the same peer comes back Up with FRR.
	v4 = startInNetns(t, handle, Config{Local: v4Us, Peer: v4FRR, Interface: vethUs, Server: srv})
	t.Logf("Up again after %v", waitBothUp(t, bfdd, v4, v6))

	killed := bfdd.kill(t)
	for _, r := range []*running{v4, v6} {
		timeout := time.After(3 * time.Second)
	wait:
		for {
			select {
			case c := <-r.changes:
				if c.New != Down {
					continue
				}
				if c.At.Before(killed) {
					t.Fatalf("%s: flapped before bfdd was killed: %+v", r.s.Config().Peer, c)
				}
				took := c.At.Sub(killed)
				t.Logf("%s: Down %v after bfdd was killed (%v)", r.s.Config().Peer, took.Round(time.Millisecond), c.Diag)
				if took > 2*time.Second || c.Diag != DiagTimeExpired {
					t.Errorf("%s: Down after %v with %v; want time expired within the detection time (900 ms; 2 s allowed)",
						r.s.Config().Peer, took, c.Diag)
				}
				break wait
			case <-timeout:
				t.Fatalf("%s: still %v 3 s after bfdd was killed", r.s.Config().Peer, r.s.State())
			}
		}
	}
}

// running is a session of ours running in a namespace.
type running struct {
	s       *Session
	changes <-chan StateChange
	cancel  context.CancelFunc
	errc    chan error
}

// startInNetns runs a session whose sockets are made in the namespace ns.
func startInNetns(t *testing.T, ns netns.NsHandle, cfg Config) *running {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{s: s, changes: s.Subscribe(), cancel: cancel, errc: make(chan error, 1)}
	go func() {
		// Run makes the sockets on this thread, in ns. The thread is never
		// unlocked, so it ends with the goroutine.
		runtime.LockOSThread()
		if err := netns.Set(ns); err != nil {
			r.errc <- err
			return
		}
		r.errc <- s.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-r.errc; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r
}

// crash stops the session like a crash, without AdminDown, and returns when.
func (r *running) crash() time.Time {
	r.s.silentStop = true
	at := time.Now()
	r.cancel()
	return at
}

// waitBothUp waits until FRR has both peers up with our 300 ms × 3 and our
// sessions are Up with FRR's.
func waitBothUp(t *testing.T, bfdd *bfddProc, rs ...*running) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		up := 0
		peers := bfdd.peers(t)
		for _, p := range peers {
			if p.Status == "up" && p.RemoteTx == 300 && p.RemoteRx == 300 && p.RemoteMult == 3 {
				up++
			}
		}
		for _, r := range rs {
			if st := r.s.Status(); st.State == Up && st.TxInterval == 300*time.Millisecond && st.DetectionTime == 900*time.Millisecond {
				up++
			}
		}
		if up == 2*len(rs) {
			return time.Since(start).Round(time.Millisecond)
		}
		if time.Since(start) > 15*time.Second {
			t.Fatalf("not Up on both sides within 15 s: FRR %+v; ours %+v, %+v; bfdd log:\n%s",
				peers, rs[0].s.Status(), rs[1].s.Status(), bfdd.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
