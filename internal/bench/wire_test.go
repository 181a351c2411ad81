package bench

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWireParse reads tcpdump -v output captured on a lab's TOR while
// OpenELB announced one LB IP with add-path (a path ID per next hop): one
// speaker's four UPDATEs, the first of which counts.
func TestWireParse(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "tcpdump-addpath.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := &wireWatch{announced: map[netip.Prefix]map[netip.Addr]time.Time{}, withdrawn: map[netip.Prefix]map[netip.Addr]time.Time{}}
	w.parse(f)
	p := netip.MustParsePrefix("100.64.0.0/32")
	first, last, n := w.first(p, false)
	if n != 1 || !first.Equal(time.Unix(1796215422, 502598000)) || !last.Equal(first) {
		t.Errorf("first(%s) = %v, %v, %d speakers; want one speaker's first UPDATE at 1796215422.502598", p, first, last, n)
	}
	if w.updates != 4 {
		t.Errorf("%d UPDATE messages counted, want 4", w.updates)
	}
	if _, _, n := w.first(p, true); n != 0 {
		t.Errorf("%d withdrawals, want none", n)
	}
}
