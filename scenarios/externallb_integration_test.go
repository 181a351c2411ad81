package scenarios_test

import (
	"encoding/json"
	"net/netip"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/testutil"
)

// TestIntegrationVerifyExternalLB brings up the external-lb topology (HAProxy
// on an lb host a hop from the nodes, forwarding to NodePorts) and expects
// its six checks to pass in both families, and inspect lb to show the
// servers with their health. Then it breaks the lab twice on purpose:
// node1's NodePort is dropped (HAProxy must mark it DOWN, and
// external-lb-backends must fail naming it), and the TOR gets a host route
// for the LB IP (nodeport-only must fail). Nothing is left after down.
func TestIntegrationVerifyExternalLB(t *testing.T) {
	testutil.Integration(t)
	const name = "vfy-elb"
	testutil.MustRun(t, "up", "-t", "external-lb", "--name", name)
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })

	v, res := verify(t, "--name", name)
	if res.ExitCode != 0 || v.Failed != 0 || v.Passed != 6 {
		t.Fatalf("verify: exit %d, %d passed, failed: %v\nstderr:\n%s", res.ExitCode, v.Passed, failedChecks(v), res.Stderr)
	}
	t.Logf("verify all green in %s", res.Duration)
	for _, r := range v.Results {
		if r.Name == "etp-local" && !strings.Contains(r.Summary, "lb host") {
			t.Errorf("etp-local: %q, want the lb host's address named as nginx's source", r.Summary)
		}
	}

	lb := lbView(t, name)
	if len(lb) != 2 {
		t.Fatalf("inspect lb: %d frontends, want 2 (IPv4 and IPv6 of default/web:80): %+v", len(lb), lb)
	}
	var v4 lbFrontend
	for _, f := range lb {
		if !f.Held || len(f.Servers) != 3 {
			t.Errorf("inspect lb %s: held %v, %d servers; want held, 3 (the workers)", f.Target, f.Held, len(f.Servers))
		}
		for _, s := range f.Servers {
			if s.Status != "UP" {
				t.Errorf("inspect lb %s: server %s is %s", f.Target, s.Server, s.Status)
			}
		}
		if netip.MustParseAddrPort(strings.TrimSuffix(f.Target, "/tcp")).Addr().Is4() {
			v4 = f
		}
	}
	table := testutil.MustRun(t, "inspect", "lb", "--name", name)
	for _, want := range []string{"203.0.113.100:80/tcp", "default_web_80_v4", "NODEIP:NODEPORT", "UP", "L4OK"} {
		if !strings.Contains(table.Stdout, want) {
			t.Errorf("inspect lb misses %q:\n%s", want, table.Stdout)
		}
	}

	// node1's NodePort stops answering: HAProxy marks it DOWN.
	var node1 netip.AddrPort
	for _, s := range v4.Servers {
		if s.Server == "node1" {
			node1 = s.Addr
		}
	}
	if !node1.IsValid() {
		t.Fatalf("no server node1 in %+v", v4.Servers)
	}
	drop := []string{"-t", "raw", "-I", "PREROUTING", "-p", "tcp", "--dport", strconv.Itoa(int(node1.Port())), "-j", "DROP"}
	testutil.MustRun(t, append([]string{"exec", "--name", name, "node1", "--", "iptables"}, drop...)...)
	start := time.Now()
	down := false
	for time.Since(start) < 20*time.Second && !down {
		for _, f := range lbView(t, name) {
			for _, s := range f.Servers {
				down = down || s.Server == "node1" && f.Target == v4.Target && strings.HasPrefix(s.Status, "DOWN")
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !down {
		t.Fatal("HAProxy did not mark node1 DOWN within 20s of its NodePort being dropped")
	}
	t.Logf("node1 DOWN in HAProxy %s after its NodePort was dropped", time.Since(start).Round(10*time.Millisecond))
	v, res = verify(t, "--name", name, "--scenario", "external-lb-backends")
	if res.ExitCode != 1 || len(v.Results) != 1 || !strings.Contains(v.Results[0].Summary, node1.String()) {
		t.Errorf("external-lb-backends with node1's NodePort dropped: exit %d, %+v; want it failed naming %s", res.ExitCode, v.Results, node1)
	}
	drop[2] = "-D"
	testutil.MustRun(t, append([]string{"exec", "--name", name, "node1", "--", "iptables"}, drop...)...)

	// A route for the LB IP on the TOR: the routers now know LB IPs.
	ip := strings.Split(v4.Target, ":")[0]
	testutil.MustRun(t, "exec", "--name", name, "tor", "--", "ip", "route", "add", ip+"/32", "via", "203.0.113.2")
	v, res = verify(t, "--name", name, "--scenario", "nodeport-only")
	if res.ExitCode != 1 || len(v.Results) != 1 || !strings.Contains(v.Results[0].Summary, "the TOR routes "+ip+" by "+ip+"/32") {
		t.Errorf("nodeport-only with a host route on the TOR: exit %d, %+v; want it failed naming the route", res.ExitCode, v.Results)
	}

	testutil.MustRun(t, "down", "--name", name)
	if out, _ := exec.Command("pgrep", "-f", "haproxy.*"+name).Output(); len(out) > 0 {
		t.Errorf("HAProxy left after down: %s", out)
	}
	if left := processesWith(name, "lb-controller"); len(left) > 0 {
		t.Errorf("lb-controller processes left after down: %v", left)
	}
}

// lbFrontend is one frontend of `lblab inspect lb -o json`.
type lbFrontend struct {
	Target  string `json:"target"`
	Held    bool   `json:"held"`
	Servers []struct {
		Server string         `json:"server"`
		Addr   netip.AddrPort `json:"addr"`
		Status string         `json:"status"`
	} `json:"servers"`
}

func lbView(t *testing.T, name string) []lbFrontend {
	t.Helper()
	res := testutil.Run(t, "inspect", "lb", "--name", name, "-o", "json")
	var out []lbFrontend
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil {
		t.Fatalf("inspect lb -o json: exit %d, %v\n%s\n%s", res.ExitCode, err, res.Stdout, res.Stderr)
	}
	slices.SortFunc(out, func(a, b lbFrontend) int { return strings.Compare(a.Target, b.Target) })
	return out
}
