package scenarios_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/testutil"
)

// TestIntegrationVerifyHAControlPlane brings up the ha-control-plane
// topology (three control-plane nodes with an etcd cluster, behind an API
// server VIP that each announces while its kube-apiserver is ready) and
// expects all its checks to pass, cp-failover's two faults among them. The
// admin kubeconfig must name the VIP. Then it freezes one kube-apiserver
// for good (SIGSTOP), and cp-vip must still pass with that node out of
// the VIP's route and say so. Nothing is left after down.
func TestIntegrationVerifyHAControlPlane(t *testing.T) {
	testutil.Integration(t)
	const name = "vfy-ha"
	testutil.MustRun(t, "up", "-t", "ha-control-plane", "--name", name)
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })

	kc := testutil.MustRun(t, "kubectl", "--name", name, "--", "config", "view", "-o", "jsonpath={.clusters[0].cluster.server}").Stdout
	if strings.TrimSpace(kc) != "https://10.90.0.1:6443" {
		t.Errorf("the admin kubeconfig's server is %q, want the VIP https://10.90.0.1:6443", kc)
	}
	v, res := verify(t, "--name", name)
	if res.ExitCode != 0 || v.Failed != 0 || v.Passed != 9 {
		t.Fatalf("verify: exit %d, %d passed, failed: %v\nstderr:\n%s", res.ExitCode, v.Passed, failedChecks(v), res.Stderr)
	}
	for _, r := range v.Results {
		if r.Name == "cp-failover" {
			for _, want := range []string{"kube-apiserver stop on control-plane3: route dropped it", "host down on control-plane3", "a write through the VIP succeeded"} {
				if !strings.Contains(r.Summary, want) {
					t.Errorf("cp-failover: %q lacks %q", r.Summary, want)
				}
			}
		}
	}
	t.Logf("verify all green in %s", res.Duration)

	// inspect bgp shows each VIP speaker's own view: both VIPs advertised.
	ib := testutil.MustRun(t, "inspect", "bgp", "--name", name, "-o", "json").Stdout
	var doc struct {
		Speakers []struct {
			Node  string
			Error string
			State *struct{ Advertised []string }
		}
	}
	if err := json.Unmarshal([]byte(ib), &doc); err != nil {
		t.Fatalf("inspect bgp -o json: %v\n%s", err, ib)
	}
	vipViews := 0
	for _, sp := range doc.Speakers {
		if !strings.HasSuffix(sp.Node, "(API server VIP)") {
			continue
		}
		vipViews++
		if sp.State == nil || !slices.Equal(sp.State.Advertised, []string{"10.90.0.1/32", "fd00:90::1/128"}) {
			t.Errorf("inspect bgp, %s: %+v (error %q), want 10.90.0.1/32 and fd00:90::1/128 advertised", sp.Node, sp.State, sp.Error)
		}
	}
	if vipViews != 3 {
		t.Errorf("inspect bgp shows %d VIP speakers, want 3:\n%s", vipViews, ib)
	}

	// A kube-apiserver that stays hung: the VIP's route must leave it out.
	freeze := `me=$(readlink /proc/self/ns/net); for p in $(pgrep -x kube-apiserver); do [ "$(readlink /proc/$p/ns/net)" = "$me" ] && kill -%s $p; done; true`
	testutil.MustRun(t, "exec", "--name", name, "control-plane2", "--", "sh", "-c", strings.ReplaceAll(freeze, "%s", "STOP"))
	v, res = verify(t, "--name", name, "--scenario", "cp-vip")
	testutil.MustRun(t, "exec", "--name", name, "control-plane2", "--", "sh", "-c", strings.ReplaceAll(freeze, "%s", "CONT"))
	if res.ExitCode != 0 || len(v.Results) != 1 || !strings.Contains(v.Results[0].Summary, "exactly the 2 control-plane nodes") ||
		!strings.Contains(v.Results[0].Summary, "control-plane2's kube-apiserver is not ready") {
		t.Errorf("cp-vip with control-plane2's kube-apiserver frozen: exit %d, %+v; want passed on 2 next hops, naming control-plane2", res.ExitCode, v.Results)
	}

	controllerFailover(t, name)

	testutil.MustRun(t, "down", "--name", name)
	if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), name+"_") {
		t.Errorf("namespaces left after down:\n%s", out)
	}
	if left := processesWith(name, "cp-speaker"); len(left) > 0 {
		t.Errorf("cp-speaker processes left after down: %v", left)
	}
	for _, m := range []string{"control-plane", "control-plane2", "control-plane3"} {
		if _, err := os.Stat("/run/lblab/" + name + "/pids/" + m + "-cp-speaker.pid"); err == nil {
			t.Errorf("%s's cp-speaker pid file left after down", m)
		}
	}
}

// TestIntegrationVerifyHAControlPlaneBFD runs the VIP checks on
// ha-control-plane-bfd: the TOR must hold an up BFD session with each VIP
// speaker, beside its BGP session.
func TestIntegrationVerifyHAControlPlaneBFD(t *testing.T) {
	testutil.Integration(t)
	const name = "vfy-ha-bfd"
	testutil.MustRun(t, "up", "-t", "ha-control-plane-bfd", "--name", name)
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	v, res := verify(t, "--name", name, "--scenario", "bgp-sessions", "--scenario", "cp-vip", "--scenario", "cp-failover")
	if res.ExitCode != 0 || v.Failed != 0 || v.Passed != 3 {
		t.Fatalf("verify: exit %d, %d passed, failed: %v\nstderr:\n%s", res.ExitCode, v.Passed, failedChecks(v), res.Stderr)
	}
	var speakers []string
	for _, r := range v.Results {
		t.Logf("%s: %s", r.Name, r.Summary)
		if r.Name == "cp-vip" {
			var ev struct{ Owners map[string]string }
			if err := json.Unmarshal(r.Evidence, &ev); err != nil {
				t.Fatalf("cp-vip's evidence: %v", err)
			}
			for a := range ev.Owners {
				speakers = append(speakers, a)
			}
		}
	}
	if len(speakers) != 6 {
		t.Fatalf("cp-vip names %d VIP speaker addresses %v, want 6 (3 nodes × 2 families)", len(speakers), speakers)
	}
	// BFD comes up a moment after BGP on a restored node: give it 10 s.
	var bfd string
	var down []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		bfd = testutil.MustRun(t, "exec", "--name", name, "tor", "--", "vtysh", "-c", "show bfd peers brief").Stdout
		down = nil
		for _, a := range speakers {
			if !regexp.MustCompile(`(?m)\s` + regexp.QuoteMeta(a) + `\s+up\s*$`).MatchString(bfd) {
				down = append(down, a)
			}
		}
		if len(down) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(down) > 0 {
		t.Errorf("the TOR has no up BFD session with VIP speakers %v:\n%s", down, bfd)
	}
}

// TestIntegrationVerifyHAControlPlaneL2 brings up ha-control-plane-l2:
// the API server VIP on the nodes' segment, answered by ARP and NDP by one
// control-plane node. All its checks must pass, cp-failover's two faults
// among them, on the node that owned the VIP. Then the owner's
// kube-apiserver is frozen for good, and cp-vip must pass with another
// node answering. Nothing is left after down.
func TestIntegrationVerifyHAControlPlaneL2(t *testing.T) {
	testutil.Integration(t)
	const name = "vfy-ha-l2"
	testutil.MustRun(t, "up", "-t", "ha-control-plane-l2", "--name", name)
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })

	kc := testutil.MustRun(t, "kubectl", "--name", name, "--", "config", "view", "-o", "jsonpath={.clusters[0].cluster.server}").Stdout
	if !regexp.MustCompile(`^https://\d+\.\d+\.\d+\.240:6443$`).MatchString(strings.TrimSpace(kc)) {
		t.Errorf("the admin kubeconfig's server is %q, want the L2 VIP, host 240 of the node subnet", kc)
	}
	v, res := verify(t, "--name", name)
	if res.ExitCode != 0 || v.Failed != 0 || v.Passed != 7 {
		t.Fatalf("verify: exit %d, %d passed, failed: %v\nstderr:\n%s", res.ExitCode, v.Passed, failedChecks(v), res.Stderr)
	}
	owner := ""
	for _, r := range v.Results {
		t.Logf("%s: %s", r.Name, r.Summary)
		switch r.Name {
		case "cp-vip":
			if m := regexp.MustCompile(`answered by (control-plane\d*)`).FindStringSubmatch(r.Summary); m != nil {
				owner = m[1]
			}
		case "cp-failover":
			for _, want := range []string{"kube-apiserver stop on", "host down on", "another node answered for the VIP", "a write through the VIP succeeded"} {
				if !strings.Contains(r.Summary, want) {
					t.Errorf("cp-failover: %q lacks %q", r.Summary, want)
				}
			}
		}
	}
	if owner == "" {
		t.Fatalf("cp-vip names no owner of the VIP")
	}

	// The owner's kube-apiserver stays hung: another node must answer.
	freeze := `me=$(readlink /proc/self/ns/net); for p in $(pgrep -x kube-apiserver); do [ "$(readlink /proc/$p/ns/net)" = "$me" ] && kill -%s $p; done; true`
	testutil.MustRun(t, "exec", "--name", name, owner, "--", "sh", "-c", strings.ReplaceAll(freeze, "%s", "STOP"))
	v, res = verify(t, "--name", name, "--scenario", "cp-vip")
	testutil.MustRun(t, "exec", "--name", name, owner, "--", "sh", "-c", strings.ReplaceAll(freeze, "%s", "CONT"))
	if res.ExitCode != 0 || len(v.Results) != 1 || strings.Contains(v.Results[0].Summary, "answered by "+owner) ||
		!strings.Contains(v.Results[0].Summary, owner+"'s kube-apiserver is not ready") {
		t.Errorf("cp-vip with %s's kube-apiserver frozen: exit %d, %+v; want passed, answered by another node, naming %s", owner, res.ExitCode, v.Results, owner)
	}

	testutil.MustRun(t, "down", "--name", name)
	if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), name+"_") {
		t.Errorf("namespaces left after down:\n%s", out)
	}
	if left := processesWith(name, "cp-speaker"); len(left) > 0 {
		t.Errorf("cp-speaker processes left after down: %v", left)
	}
}

// controllerFailover freezes the leading LoadBalancer controller (one runs
// on each control-plane node) and expects another to take the leader
// Lease and give a new Service its IP.
func controllerFailover(t *testing.T, name string) {
	t.Helper()
	kubectl := func(args ...string) string {
		return strings.TrimSpace(testutil.MustRun(t, append([]string{"kubectl", "--name", name, "--"}, args...)...).Stdout)
	}
	holder := func() string {
		return kubectl("get", "lease", "-n", "lblab-system", "lblab-controller", "-o", "jsonpath={.spec.holderIdentity}")
	}
	leader := holder()
	node := leader[strings.LastIndexByte(leader, '/')+1:]
	if !strings.HasPrefix(leader, "netns/"+name+"/control-plane") {
		t.Fatalf("the controller Lease is held by %q, want one of the control-plane nodes' controllers", leader)
	}
	signal := `me=$(readlink /proc/self/ns/net); for p in $(pgrep -f "[l]blab controller"); do [ "$(readlink /proc/$p/ns/net)" = "$me" ] && kill -%s $p; done; true`
	testutil.MustRun(t, "exec", "--name", name, node, "--", "sh", "-c", strings.ReplaceAll(signal, "%s", "STOP"))
	defer testutil.MustRun(t, "exec", "--name", name, node, "--", "sh", "-c", strings.ReplaceAll(signal, "%s", "CONT"))
	start := time.Now()
	kubectl("create", "service", "loadbalancer", "ha-controller-probe", "--tcp=80:80")
	defer kubectl("delete", "service", "ha-controller-probe")
	var ip, now string
	for time.Since(start) < 30*time.Second && ip == "" {
		time.Sleep(500 * time.Millisecond)
		ip = kubectl("get", "service", "ha-controller-probe", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}")
	}
	now = holder()
	if ip == "" || now == leader {
		t.Fatalf("with the leading controller (%s) frozen: the new Service's IP %q after %s, the Lease held by %q", leader, ip, time.Since(start).Round(time.Millisecond), now)
	}
	t.Logf("leading controller %s frozen: %s took over; a new Service got %s %s after its create", leader, now, ip, time.Since(start).Round(time.Millisecond))
}
