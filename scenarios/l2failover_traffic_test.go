package scenarios

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestCountL2Requests(t *testing.T) {
	t0 := time.Unix(1796188976, 0)
	at := func(ms int) string { return itoa(t0.Add(time.Duration(ms) * time.Millisecond).UnixNano()) }
	line := func(i, from, to, rc int, welcome string) streamLine {
		return streamLine{text: "@@r " + strconv.Itoa(i) + " " + at(from) + " " + at(to) + " " + strconv.Itoa(rc) + " " + welcome}
	}
	lines := []streamLine{
		line(0, -100, -90, 0, "1"),
		line(0, 100, 1100, 4, "0"),  // to the dead owner
		line(0, 1500, 1520, 0, "1"), // before the switch
		line(0, 1600, 2600, 4, "0"), // after it: a pod on the cut-off node
		line(0, 1700, 1720, 0, "1"), // the first through the new owner
		line(0, 1650, 1800, 0, "0"), // nginx did not answer
		{text: "wget: some noise"},
		line(7, 1800, 1810, 0, "1"), // no such IP
	}
	ip := netip.MustParseAddr("10.89.0.192")
	r := L2FailoverRun{IPs: []L2Move{{IP: ip, Switched: 1550 * time.Millisecond}}}
	countL2Requests(&r, parseL2Requests(lines, []netip.Addr{ip}), t0)
	if r.Requests != 6 || r.Failed != 3 || r.AfterSwitch != 2 || r.IPs[0].Requests != 6 || r.IPs[0].Failed != 3 {
		t.Errorf("requests %d failed %d after switch %d (IP: %d/%d), want 6, 3, 2", r.Requests, r.Failed, r.AfterSwitch, r.IPs[0].Requests, r.IPs[0].Failed)
	}
	if r.IPs[0].Restored != 1720*time.Millisecond {
		t.Errorf("restored %s, want 1.72s", r.IPs[0].Restored)
	}
	want := map[string]int{wgetExit[4]: 2, `answer without "Welcome to nginx!"`: 1}
	if len(r.Failures) != 2 || r.Failures[wgetExit[4]] != 2 || r.Failures[`answer without "Welcome to nginx!"`] != 1 {
		t.Errorf("failures %v, want %v", r.Failures, want)
	}
	if tl := r.Timeline; len(tl) != 6 || tl[0].Start != -100*time.Millisecond || tl[1].Failed != 1 || tl[1].End != 1100*time.Millisecond {
		t.Errorf("timeline %+v", tl)
	}
}

// envRunner runs commands on this machine with extra environment.
type envRunner struct{ env []string }

func (r envRunner) Run(ctx context.Context, c run.Cmd) ([]byte, error) {
	c.Env = append(c.Env, r.env...)
	return run.Exec{}.Run(ctx, c)
}

// TestL2ClientScript runs the client's loop in sh with a stand-in wget:
// lines stream while it runs, and closing its stdin ends it after the
// requests in flight are done.
func TestL2ClientScript(t *testing.T) {
	dir := t.TempDir()
	fake := "#!/bin/sh\ncase \"$*\" in *--version*) exit 1;; *192*) echo '<title>Welcome to nginx!</title>'; exit 0;; *) sleep 0.3; exit 4;; esac\n"
	if err := os.WriteFile(filepath.Join(dir, "wget"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	h := lab.Node{Name: "client", Runner: envRunner{env: []string{"PATH=" + dir + ":" + os.Getenv("PATH")}}}
	ips := []netip.Addr{netip.MustParseAddr("10.89.0.192"), netip.MustParseAddr("fd00::c1")}
	s := startStream(context.Background(), h, l2ClientScript([]string{URL(ips[0], 80), URL(ips[1], 80)}))
	time.Sleep(450 * time.Millisecond)
	if len(s.snapshot()) == 0 {
		t.Error("no line while the loop runs")
	}
	start := time.Now()
	reqs := parseL2Requests(s.stop(3*time.Second), ips)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("stop took %s", d)
	}
	var ok, failed int
	for _, r := range reqs {
		switch {
		case r.ip == ips[0] && r.ok && r.to.After(r.from):
			ok++
		case r.ip == ips[1] && !r.ok && r.reason == wgetExit[4] && r.to.Sub(r.from) >= 250*time.Millisecond:
			failed++ // the slow ones in flight at the stop finished
		default:
			t.Errorf("unexpected request %+v", r)
		}
	}
	if ok < 3 || failed < 3 {
		t.Errorf("%d ok and %d failed requests in 450ms, want at least 3 of each", ok, failed)
	}
}
