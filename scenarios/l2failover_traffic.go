package scenarios

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lblab/lblab/internal/lab"
)

// The client's requests in l2-failover: one shell on the client starts a
// request every l2RequestEvery (spread over the IPs), each on its own so
// a request to a dead owner waits out its l2RequestTimeout seconds while
// the next ones go on; each is timed inside the client. l2StreamMax caps
// a loop whose check died.
const (
	l2RequestEvery   = 100 * time.Millisecond
	l2RequestTimeout = 1
	l2StreamMax      = 1200
)

// l2Req is one request as the client timed it.
type l2Req struct {
	ip       netip.Addr
	from, to time.Time
	ok       bool
	reason   string
}

// l2ClientScript requests each URL in turn, printing
// "@@r INDEX START_NS END_NS WGET_EXIT WELCOME(0|1)" per request.
func l2ClientScript(urls []string) string { return requestScript(urls, "", NginxWelcome) }

// requestScript starts a request to each URL in turn, every
// l2RequestEvery, each timed inside the host and judged by whether its
// answer holds want: "@@r INDEX START_NS END_NS WGET_EXIT WANT(0|1)".
func requestScript(urls []string, wgetArgs, want string) string {
	gap := fmt.Sprintf("%.3f", (l2RequestEvery / time.Duration(len(urls))).Seconds())
	var loop strings.Builder
	for i, u := range urls {
		fmt.Fprintf(&loop, "req %d '%s' & sleep %s\n", i, u, gap)
	}
	return fmt.Sprintf(`T=""; wget --version >/dev/null 2>&1 && T="-t 1"
req() { s=$(date +%%s%%N); o=$(wget -q -O - -T %d $T %s "$2" 2>&1); rc=$?; e=$(date +%%s%%N)
  case "$o" in *'%s'*) w=1;; *) w=0;; esac
  echo "@@r $1 $s $e $rc $w"; }
n=0; while [ $n -lt %d ]; do n=$((n+1))
%sdone
`, l2RequestTimeout, wgetArgs, want, l2StreamMax, loop.String())
}

// parseL2Requests reads l2ClientScript's lines for ips.
func parseL2Requests(lines []streamLine, ips []netip.Addr) []l2Req {
	return parseRequests(lines, ips, NginxWelcome)
}

// parseRequests reads requestScript's lines for ips.
func parseRequests(lines []streamLine, ips []netip.Addr, want string) []l2Req {
	var out []l2Req
	for _, l := range lines {
		f := strings.Fields(l.text)
		if len(f) != 6 || f[0] != "@@r" {
			continue
		}
		i, err := strconv.Atoi(f[1])
		rc, err2 := strconv.Atoi(f[4])
		if err != nil || err2 != nil || i < 0 || i >= len(ips) {
			continue
		}
		r := l2Req{ip: ips[i], from: streamTime(f[2], l.at), to: streamTime(f[3], l.at), ok: rc == 0 && f[5] == "1"}
		switch {
		case rc != 0:
			r.reason = cmp.Or(wgetExit[rc], fmt.Sprintf("wget exit %d", rc))
		case !r.ok:
			r.reason = "answer without " + strconv.Quote(want)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b l2Req) int { return cmp.Or(a.from.Compare(b.from), a.ip.Compare(b.ip)) })
	return out
}

// firstOKAfter returns the end of the first successful request to ip
// started at or after from.
func firstOKAfter(reqs []l2Req, ip netip.Addr, from time.Time) (time.Time, bool) {
	var first time.Time
	for _, r := range reqs {
		if r.ip == ip && r.ok && !r.from.Before(from) && (first.IsZero() || r.to.Before(first)) {
			first = r.to
		}
	}
	return first, !first.IsZero()
}

// startL2Traffic starts the client's requests to the IPs of moves.
func startL2Traffic(ctx context.Context, client lab.Node, moves []L2Move, port uint16) (*shellStream, []netip.Addr) {
	var ips []netip.Addr
	var urls []string
	for _, m := range moves {
		ips = append(ips, m.IP)
		urls = append(urls, URL(m.IP, port))
	}
	return startStream(ctx, client, l2ClientScript(urls)), ips
}

// countL2Requests fills run's counts, per-IP Restored and timeline from
// the requests, with offsets from t0; Switched must be set.
func countL2Requests(run *L2FailoverRun, reqs []l2Req, t0 time.Time) {
	failures := map[string]int{}
	for i := range run.IPs {
		m := &run.IPs[i]
		if m.Switched > 0 {
			if end, ok := firstOKAfter(reqs, m.IP, t0.Add(m.Switched)); ok {
				m.Restored = end.Sub(t0)
			}
		}
	}
	for _, r := range reqs {
		i := slices.IndexFunc(run.IPs, func(m L2Move) bool { return m.IP == r.ip })
		if i < 0 {
			continue
		}
		req := L2Request{IP: r.ip, Reason: r.reason, FailoverBatch: FailoverBatch{
			Start: r.from.Sub(t0).Round(time.Millisecond), End: r.to.Sub(t0).Round(time.Millisecond)}}
		run.Requests++
		run.IPs[i].Requests++
		if r.ok {
			req.OK = 1
		} else {
			req.Failed = 1
			run.Failed++
			run.IPs[i].Failed++
			failures[r.reason]++
			if sw := run.IPs[i].Switched; sw > 0 && !r.from.Before(t0.Add(sw)) {
				run.AfterSwitch++
			}
		}
		run.Timeline = append(run.Timeline, req)
	}
	if len(failures) > 0 {
		run.Failures = failures
	}
}
