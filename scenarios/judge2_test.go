package scenarios

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/dataplane/iptables"
	"github.com/lblab/lblab/internal/dataplane/nftables"
	"github.com/lblab/lblab/internal/topology"
)

// observe builds one node's observations from a captured ruleset.
func observeIPT(t *testing.T, c *Cluster, files ...string) map[string]Observation {
	t.Helper()
	rs := map[bool]*iptables.Ruleset{}
	for _, f := range files {
		r, err := iptables.Parse(testdata(t, "dataplane/iptables", f))
		if err != nil {
			t.Fatal(err)
		}
		rs[strings.Contains(f, "ipv6")] = r
	}
	out := map[string]Observation{}
	for _, s := range c.Services {
		for _, ip := range s.LBIPs {
			for _, p := range s.Ports {
				r := rs[ip.Is6()]
				if r == nil {
					out[targetKey(ip, p)] = Observation{Err: errors.New("no ruleset")}
					continue
				}
				svc, err := r.LoadBalancer(ip, p.Protocol, p.Port)
				o := Observation{Err: err}
				if err == nil {
					o.Frontend = svc.Frontend()
				}
				out[targetKey(ip, p)] = o
			}
		}
	}
	return out
}

func TestJudgeRulesIPTables(t *testing.T) {
	c := labCluster()
	// node1's capture holds an endpoint of "local"; node3's does not (and drops).
	node1 := observeIPT(t, c, "kube-proxy-ipv4.txt", "kube-proxy-ipv6.txt")
	c.Services = c.Services[:1] // node3's capture has no IPv6 ruleset: judge web on IPv4 only
	c.Services[0].LBIPs, c.Services[0].Families = addrs("198.51.100.0"), []string{"IPv4"}
	obs := map[string]map[string]Observation{"node1": node1, "node3": observeIPT(t, c, "kube-proxy-ipv4-no-local.txt")}
	if out := JudgeRules(c, []string{"node1", "node3"}, obs, "iptables"); out.Status != Passed {
		t.Fatalf("captured rules: %s", out.Summary)
	}

	full := labCluster()
	obs = map[string]map[string]Observation{"node1": node1}
	if out := JudgeRules(full, []string{"node1"}, obs, "iptables"); out.Status != Passed {
		t.Fatalf("node1, both Services, both families: %s", out.Summary)
	}

	// A rule missing on one node: node2's nat table was flushed.
	flushed, _ := iptables.Parse([]byte("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"))
	node2 := map[string]Observation{}
	for k := range node1 {
		ip, _ := netip.ParseAddrPort(strings.TrimSuffix(k, "/tcp"))
		_, err := flushed.LoadBalancer(ip.Addr(), "tcp", ip.Port())
		node2[k] = Observation{Err: err}
	}
	obs = map[string]map[string]Observation{"node1": node1, "node2": node2}
	out := JudgeRules(full, []string{"node1", "node2"}, obs, "iptables")
	if out.Status != Failed || !strings.Contains(out.Summary, "node2: 198.51.100.0:80/tcp (default/web): no nat table") ||
		strings.Contains(out.Summary, "node1:") {
		t.Errorf("flushed node2: %q", out.Summary)
	}

	// An endpoint the rules do not know (a fourth pod) and one that is gone.
	c = labCluster()
	c.Services[0].Endpoints[2].Addr = netip.MustParseAddr("10.244.3.9")
	out = JudgeRules(c, []string{"node1"}, map[string]map[string]Observation{"node1": node1}, "iptables")
	if !strings.Contains(out.Summary, "missing endpoint 10.244.3.9:80; extra endpoint 10.244.3.2:80") {
		t.Errorf("endpoint mismatch: %q", out.Summary)
	}

	// ETP=Local: node3 holds no endpoint of "local", yet its rules send traffic on.
	c = labCluster()
	c.Services[1].Endpoints[0].Node = "node3"
	out = JudgeRules(c, []string{"node1"}, map[string]map[string]Observation{"node1": node1}, "iptables")
	if !strings.Contains(out.Summary, "198.51.100.1:80/tcp (default/local): no local endpoint, but traffic goes to 10.244.1.3:80") {
		t.Errorf("ETP=Local without a local endpoint: %q", out.Summary)
	}

	// Source ranges that differ from the rules.
	c = labCluster()
	c.Services[0].SourceRanges = []netip.Prefix{netip.MustParsePrefix("192.0.2.2/32")}
	out = JudgeRules(c, []string{"node1"}, map[string]map[string]Observation{"node1": node1}, "iptables")
	if !strings.Contains(out.Summary, "source ranges [], want [192.0.2.2/32]") {
		t.Errorf("source ranges: %q", out.Summary)
	}
}

func TestJudgeRulesNFTables(t *testing.T) {
	rs, err := nftables.Parse(testdata(t, "dataplane/nftables", "kube-proxy.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := labCluster() // the capture is node2's: "local" has an endpoint there
	obs := map[string]Observation{}
	for _, s := range c.Services {
		for _, ip := range s.LBIPs {
			svc, err := rs.LoadBalancer(ip, "tcp", 80)
			o := Observation{Err: err}
			if err == nil {
				o.Frontend = svc.Frontend()
			}
			obs[targetKey(ip, s.Ports[0])] = o
		}
	}
	if out := JudgeRules(c, []string{"node2"}, map[string]map[string]Observation{"node2": obs}, "nftables"); out.Status != Passed {
		t.Fatalf("captured nft ruleset: %s", out.Summary)
	}
	out := JudgeRules(c, []string{"node1"}, map[string]map[string]Observation{"node1": obs}, "nftables")
	if out.Status != Failed || !strings.Contains(out.Summary, "node1: 198.51.100.1:80/tcp (default/local): missing endpoint 10.244.1.3:80; extra endpoint 10.244.2.3:80") {
		t.Errorf("node2's rules judged as node1's: %q", out.Summary)
	}
}

func TestParseBatchAndJudgeReachability(t *testing.T) {
	ok := "@@lblab-begin\n  HTTP/1.1 200 OK\n  Server: nginx/1.22.1\n  X-Lblab-Pod: web-1\n  X-Lblab-Node: node1\n<title>Welcome to nginx!</title>\n@@lblab-end 0\n"
	ok2 := strings.ReplaceAll(strings.ReplaceAll(ok, "web-1", "web-2"), "node1", "node2")
	timeout := "@@lblab-begin\n@@lblab-end 4\n"
	notFound := "@@lblab-begin\n  HTTP/1.1 404 Not Found\n@@lblab-end 8\n"
	other := "@@lblab-begin\n  HTTP/1.1 200 OK\n<title>It works</title>\n@@lblab-end 0\n"
	b := ParseBatch(ok + ok2 + ok)
	if b.Sent != 3 || b.OK != 3 || Spread(b.Pods) != "web-1:2 web-2:1" || Spread(b.Nodes) != "node1:2 node2:1" || b.Sample != "<title>Welcome to nginx!</title>" {
		t.Fatalf("good batch: %+v", b)
	}
	b.Source, b.URL = "tor", "http://198.51.100.0:80/"
	if out := JudgeReachability([]Batch{b}); out.Status != Passed || !strings.Contains(out.Summary, "tor→198.51.100.0:80 3/3 nodes node1:2 node2:1") {
		t.Errorf("pass: %q", out.Summary)
	}
	bad := ParseBatch(ok + timeout + notFound + other)
	bad.Source, bad.URL = "client", "http://[2001:db8:100::]:80/"
	out := JudgeReachability([]Batch{b, bad})
	for _, msg := range []string{"client→http://[2001:db8:100::]:80/: 3 of 4 requests failed",
		"HTTP 404:1", "answer without \"Welcome to nginx!\":1", "network failure (timeout, refused or unreachable):1"} {
		if out.Status != Failed || !strings.Contains(out.Summary, msg) {
			t.Errorf("want %q in %q", msg, out.Summary)
		}
	}
	if out := JudgeReachability(nil); out.Status != Failed {
		t.Error("no batches must fail")
	}
	if !strings.Contains(wgetScript("http://[2001:db8:100::]:80/", 30, 3), "-lt 30") {
		t.Error("script does not loop 30 times")
	}
}

func TestJudgeTimelines(t *testing.T) {
	ip := netip.MustParseAddr("198.51.100.7")
	good := WithdrawEvidence{IPs: []netip.Addr{ip}, Routed: 80 * time.Millisecond, Withdrawn: 40 * time.Millisecond, Freed: true,
		Nexthops: map[netip.Addr][]netip.Addr{ip: addrs("10.89.0.11", "10.89.0.12")}}
	if out := JudgeWithdraw(good); out.Status != Passed || !strings.Contains(out.Summary, "withdrawn 40ms after delete") {
		t.Errorf("withdraw: %q", out.Summary)
	}
	stuck := good
	stuck.Step, stuck.Err = "withdraw", "the TOR still routes 198.51.100.7 after the delete"
	if out := JudgeWithdraw(stuck); out.Status != Failed || !strings.Contains(out.Summary, `step "withdraw"`) {
		t.Errorf("stale route after delete: %q", out.Summary)
	}

	n := addrs("10.89.0.11", "10.89.0.12", "10.89.0.13")
	etp := ETPEvidence{Replicas: 2, Nodes: 3, Before: map[netip.Addr][]netip.Addr{ip: n},
		After: map[netip.Addr][]netip.Addr{ip: n[:2]}, Want: map[netip.Addr][]netip.Addr{ip: n[:2]},
		ClientIPs: addrs("192.0.2.2"), Requests: 2, Answered: 2, Logged: []string{`192.0.2.2 - - [25/Nov/2026:21:00:00 +0000] "GET / HTTP/1.1" 200 615`}}
	if out := JudgeETPLocal(etp); out.Status != Passed || !strings.Contains(out.Summary, "3→2 next hops") {
		t.Errorf("etp: %q", out.Summary)
	}
	noShrink := etp
	noShrink.After = map[netip.Addr][]netip.Addr{ip: n}
	noShrink.Want = map[netip.Addr][]netip.Addr{ip: n}
	if out := JudgeETPLocal(noShrink); out.Status != Failed || !strings.Contains(out.Summary, "did not shrink") {
		t.Errorf("no shrink: %q", out.Summary)
	}
	extra := etp
	extra.After = map[netip.Addr][]netip.Addr{ip: n[1:]}
	if out := JudgeETPLocal(extra); out.Status != Failed || !strings.Contains(out.Summary, "missing next hop 10.89.0.11, extra next hop 10.89.0.13") {
		t.Errorf("wrong next hops: %q", out.Summary)
	}
	snat := etp
	snat.Logged = nil
	if out := JudgeETPLocal(snat); out.Status != Failed || !strings.Contains(out.Summary, "did not log the client's address") {
		t.Errorf("SNAT: %q", out.Summary)
	}
	lines := MatchClientLines("10.89.0.11 - - [x] \"GET /\" 200\n192.0.2.2 - - [x] \"GET /\" 200\n::ffff:192.0.2.2 - - y\n", addrs("192.0.2.2"))
	if len(lines) != 2 {
		t.Errorf("MatchClientLines: %v", lines)
	}

	ranges := RangesEvidence{Client: []Batch{{Sent: 3, OK: 3}}, TOR: []Batch{{Sent: 2, Failures: map[string]int{wgetExit[4]: 2}}}}
	if out := JudgeRanges(ranges); out.Status != Passed {
		t.Errorf("ranges: %q", out.Summary)
	}
	leak := ranges
	leak.TOR = []Batch{{Sent: 2, OK: 1, URL: "http://198.51.100.7:80/"}}
	if out := JudgeRanges(leak); out.Status != Failed || !strings.Contains(out.Summary, "must be dropped") {
		t.Errorf("TOR got through: %q", out.Summary)
	}
	blocked := ranges
	blocked.Client = []Batch{{Sent: 3, OK: 0}}
	if out := JudgeRanges(blocked); out.Status != Failed {
		t.Errorf("client blocked: %q", out.Summary)
	}

	fo := FailoverEvidence{IP: ip, Node: "node3", Nexthop: n[2], Before: n, After: n[:2], HoldTime: 9 * time.Second, Slack: holdSlack, ChangeWindow: changeWindow,
		Withdrawn: 7 * time.Second, Requests: 40, AfterWithdraw: 10}
	if out := JudgeFailover(fo); out.Status != Passed || !strings.Contains(out.Summary, "hold time 9s + 1s slack") {
		t.Errorf("failover: %q", out.Summary)
	}
	inSlack := fo
	inSlack.Withdrawn = 9500 * time.Millisecond
	if out := JudgeFailover(inSlack); out.Status != Passed {
		t.Errorf("withdrawn within the reported slack: %q", out.Summary)
	}
	inSlack.Slack = 0
	if out := JudgeFailover(inSlack); out.Status != Failed || !strings.Contains(out.Summary, "more than the hold time 9s + 0s slack") {
		t.Errorf("the judge must apply the slack the evidence reports: %q", out.Summary)
	}
	silent := fo
	silent.Requests, silent.AfterWithdraw = 0, 0
	if out := JudgeFailover(silent); out.Status != Failed || !strings.Contains(out.Summary, "the client sent no request") {
		t.Errorf("no client traffic: %q", out.Summary)
	}
	slow := fo
	slow.Withdrawn = 12 * time.Second
	if out := JudgeFailover(slow); out.Status != Failed || !strings.Contains(out.Summary, "more than the hold time 9s") {
		t.Errorf("slow withdraw: %q", out.Summary)
	}
	lossy := fo
	lossy.Failed, lossy.Failures = 2, map[string]int{"network failure": 2}
	if out := JudgeFailover(lossy); out.Status != Failed || !strings.Contains(out.Summary, "2 of 40 client requests failed away from the route changes") {
		t.Errorf("failed requests: %q", out.Summary)
	}
	rehash := lossy
	rehash.AtRouteChange = 2
	if out := JudgeFailover(rehash); out.Status != Passed || !strings.Contains(out.Summary, "2 failed as the ECMP set changed") {
		t.Errorf("failures at the route change: %q", out.Summary)
	}
	// With BFD the next hop must go within the detection time: a withdraw
	// at the hold time means BFD did nothing, and fails.
	bfd := fo
	bfd.BFDDetect, bfd.Withdrawn = 900*time.Millisecond, 1200*time.Millisecond
	if out := JudgeFailover(bfd); out.Status != Passed || !strings.Contains(out.Summary, "BFD detection time 900ms + 1s slack") {
		t.Errorf("failover with BFD: %q", out.Summary)
	}
	bfd.Withdrawn = 8 * time.Second
	if out := JudgeFailover(bfd); out.Status != Failed || !strings.Contains(out.Summary, "more than the BFD detection time 900ms") {
		t.Errorf("BFD configured, withdrawn at the hold time: %q", out.Summary)
	}
	stalled := fo
	stalled.AfterWithdraw = 0
	if out := JudgeFailover(stalled); out.Status != Failed || !strings.Contains(out.Summary, "no client request succeeded") {
		t.Errorf("no traffic after the withdraw: %q", out.Summary)
	}
}

func TestRunEngine(t *testing.T) {
	var running, maxRunning atomic.Int32
	track := func() func() {
		n := running.Add(1)
		for {
			m := maxRunning.Load()
			if n <= m || maxRunning.CompareAndSwap(m, n) {
				break
			}
		}
		return func() { running.Add(-1) }
	}
	var mutRunning atomic.Int32
	slowRead := func(name string) Check {
		return Check{Name: name, Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			defer track()()
			time.Sleep(50 * time.Millisecond)
			return poll(ctx, attempt, func(context.Context) Outcome {
				if *attempt < 3 {
					return fail(nil, "not yet")
				}
				return pass(nil, "ok after %d", *attempt)
			})
		}}
	}
	mut := func(name string) Check {
		return Check{Name: name, Mutates: true, Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			if mutRunning.Add(1) > 1 {
				t.Error("two mutating checks ran at once")
			}
			defer mutRunning.Add(-1)
			if running.Load() != 0 {
				t.Error("a mutating check ran alongside read-only ones")
			}
			time.Sleep(10 * time.Millisecond)
			return pass(nil, "done")
		}}
	}
	never := Check{Name: "never", Timeout: 200 * time.Millisecond, Run: func(ctx context.Context, env Env, attempt *int) Outcome {
		return poll(ctx, attempt, func(context.Context) Outcome { return fail(nil, "next hop 10.0.0.1 missing") })
	}}
	boom := Check{Name: "boom", Run: func(ctx context.Context, env Env, attempt *int) Outcome { panic("oops") }}
	var seen []string
	res := Run(context.Background(), nil, []Check{slowRead("a"), mut("m1"), slowRead("b"), never, mut("m2"), boom},
		Options{Interval: 20 * time.Millisecond, OnResult: func(r Result) { seen = append(seen, r.Name) }})
	if maxRunning.Load() < 2 {
		t.Errorf("read-only checks did not run concurrently (max %d at once)", maxRunning.Load())
	}
	want := map[string]Status{"a": Passed, "m1": Passed, "b": Passed, "never": Failed, "m2": Passed, "boom": Failed}
	for i, r := range res {
		if r.Status != want[r.Name] {
			t.Errorf("%d %s: %s %q", i, r.Name, r.Status, r.Summary)
		}
	}
	if res[0].Name != "a" || res[0].Attempts != 3 || res[3].Duration < 200*time.Millisecond || !strings.Contains(res[3].Reason, "still so after") {
		t.Errorf("results: %+v", res)
	}
	if !strings.Contains(res[5].Summary, "panicked") || len(seen) != 6 || seen[len(seen)-1] != "m2" {
		t.Errorf("panic %q, order %v", res[5].Summary, seen)
	}
}

// TestParseBatchCaptured reads the real output of wgetScript's loop (Debian
// wget 1.21 on a netns lab's client, against nginx behind kube-proxy
// nftables): three answers from three pods, a 404, and a timeout.
func TestParseBatchCaptured(t *testing.T) {
	b := ParseBatch(string(readTestdata(t, "wget-client.txt")))
	if b.Sent != 5 || b.OK != 3 || len(b.Nodes) != 3 || len(b.Pods) != 3 || b.Failures["HTTP 404"] != 1 ||
		b.Failures["network failure (timeout, refused or unreachable)"] != 1 {
		t.Errorf("batch %+v", b)
	}
}

func TestBudget(t *testing.T) {
	own := Check{Timeout: 45 * time.Second}
	flag := Options{Timeout: 20 * time.Second}
	for _, tc := range []struct {
		name string
		env  Env
		c    Check
		want time.Duration
	}{
		{"no env", nil, own, 45 * time.Second},
		{"host nodes", &LiveEnv{Topo: &topology.Topology{NodeKernel: topology.NodeKernelHost}}, own, 45 * time.Second},
		{"default kernel", &LiveEnv{Topo: &topology.Topology{}}, own, 45 * time.Second},
		{"uml nodes stretch a check's own budget", &LiveEnv{Topo: &topology.Topology{NodeKernel: topology.NodeKernelUML}}, own, 135 * time.Second},
		{"uml nodes keep the user's --timeout", &LiveEnv{Topo: &topology.Topology{NodeKernel: topology.NodeKernelUML}}, Check{}, 20 * time.Second},
	} {
		if got := budget(tc.env, tc.c, flag); got != tc.want {
			t.Errorf("%s: budget %s, want %s", tc.name, got, tc.want)
		}
	}
}
