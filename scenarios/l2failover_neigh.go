package scenarios

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// The TOR's neighbour table is read by one shell on the TOR every
// l2NeighEvery seconds, each read timed inside the TOR: the switch of an
// IP to another MAC is timed to within that (plus one `ip neigh`).
const (
	l2NeighEvery = 0.03
	l2NeighMax   = 3000
)

// l2NeighScript prints "@@n NS" and then `ip neigh show`, in a loop.
func l2NeighScript() string {
	return fmt.Sprintf(`n=0; while [ $n -lt %d ]; do n=$((n+1)); echo "@@n $(date +%%s%%N)"; ip neigh show; sleep %g; done
`, l2NeighMax, l2NeighEvery)
}

// neighEntry is one line of `ip neigh show`: "IP dev D lladdr MAC STATE".
type neighEntry struct {
	ip    netip.Addr
	mac   string
	state string
}

func parseNeighLine(s string) (neighEntry, bool) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return neighEntry{}, false
	}
	ip, err := netip.ParseAddr(f[0])
	if err != nil {
		return neighEntry{}, false
	}
	e := neighEntry{ip: ip.Unmap(), state: f[len(f)-1]}
	if i := slices.Index(f, "lladdr"); i >= 0 && i+1 < len(f) {
		e.mac = f[i+1]
	}
	return e, true
}

// applySwitches sets, for each of run's IPs, the first read at or after
// t0 at which the TOR's entry for it held a MAC other than OldMAC
// (Switched, SwitchedMAC); an entry without a MAC or FAILED does not count.
func applySwitches(run *L2FailoverRun, lines []streamLine, t0 time.Time) {
	var at time.Time
	for _, l := range lines {
		if ts, ok := strings.CutPrefix(l.text, "@@n "); ok {
			at = streamTime(ts, l.at)
			continue
		}
		e, ok := parseNeighLine(l.text)
		if !ok || at.Before(t0) || e.mac == "" || e.state == "FAILED" || e.state == "INCOMPLETE" {
			continue
		}
		for i := range run.IPs {
			m := &run.IPs[i]
			if m.IP == e.ip && m.Switched == 0 && e.mac != m.OldMAC {
				m.Switched, m.SwitchedMAC = max(at.Sub(t0), time.Nanosecond), e.mac
			}
		}
	}
}
