package scenarios

import (
	"context"
	"net/netip"
	"time"
)

// l2ConfirmPoll is how often the segment is asked who answers while an IP
// moves; l2NoStreamTail how long the client's requests go on after the
// new owner answers where the lines cannot be followed as they come.
const (
	l2ConfirmPoll  = 100 * time.Millisecond
	l2NoStreamTail = time.Second
)

// measureL2Move waits, until t0 + run.Budget, for each of run's IPs to be
// answered by one node other than its old owner (Answers, NewOwner) and,
// where the lines stream, for the TOR to send it to another MAC and a
// client request sent after that to succeed. The times are taken from the
// lines afterwards (applySwitches, countL2Requests); what it could not see
// stays zero, for the judge.
func measureL2Move(ctx context.Context, env Env, si ServiceInfo, client, neigh *shellStream, ips []netip.Addr, streaming bool, run *L2FailoverRun, t0 time.Time) {
	mctx, cancel := context.WithDeadline(ctx, t0.Add(run.Budget))
	defer cancel()
	var confirmed time.Time
	_, _ = waitFor(mctx, l2ConfirmPoll, func(ctx context.Context) (bool, error) {
		if confirmed.IsZero() {
			if !l2Confirm(ctx, env, &si, run) {
				return false, nil
			}
			confirmed = time.Now()
		}
		if !streaming {
			return time.Since(confirmed) >= l2NoStreamTail, nil
		}
		probe := *run
		probe.IPs = append([]L2Move(nil), run.IPs...)
		applySwitches(&probe, neigh.snapshot(), t0)
		reqs := parseL2Requests(client.snapshot(), ips)
		for _, m := range probe.IPs {
			if m.Switched == 0 {
				return false, nil
			}
			if _, ok := firstOKAfter(reqs, m.IP, t0.Add(m.Switched)); !ok {
				return false, nil
			}
		}
		return true, nil
	})
}

// l2Confirm asks the segment who answers for run's IPs, records it, and
// reports whether each is answered by one node other than its old owner.
func l2Confirm(ctx context.Context, env Env, si *ServiceInfo, run *L2FailoverRun) bool {
	ev, err := l2Observe(ctx, env, si)
	if err != nil {
		run.ProbeErr = err.Error()
		return false
	}
	run.ProbeErr = ""
	done := true
	for i := range run.IPs {
		m := &run.IPs[i]
		for _, e := range ev {
			if e.IP != m.IP {
				continue
			}
			m.Answers, m.NewOwner, m.NewMAC = e.Owners, "", ""
			if len(e.MACs) == 1 {
				m.NewOwner, m.NewMAC = e.Owners[0], e.MACs[0]
			}
		}
		done = done && m.NewOwner != "" && m.NewOwner != m.OldOwner
	}
	return done
}
