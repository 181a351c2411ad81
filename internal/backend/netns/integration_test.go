package netns_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/proc"
	"github.com/lblab/lblab/internal/testutil"
)

// These tests drive the built lblab binary as root, as a user would, on
// fabric-only labs (namespaces, bridge, FRR TOR, client).

type statusJSON struct {
	Phase string `json:"phase"`
	Hosts []struct {
		Name   string `json:"name"`
		Role   string `json:"role"`
		Kernel string `json:"kernel"`
		IPv4   string `json:"ipv4"`
		IPv6   string `json:"ipv6"`
	} `json:"hosts"`
	BGP struct {
		ASN       uint32   `json:"asn"`
		Listening []string `json:"listening"`
	} `json:"bgp"`
}

func status(t *testing.T, name string) statusJSON {
	t.Helper()
	res := testutil.MustRun(t, "status", "--name", name, "-o", "json")
	var s statusJSON
	if err := json.Unmarshal([]byte(res.Stdout), &s); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, res.Stdout)
	}
	return s
}

func hostAddr(t *testing.T, s statusJSON, host string, v6 bool) string {
	t.Helper()
	for _, h := range s.Hosts {
		if h.Name == host {
			if v6 {
				return h.IPv6
			}
			return h.IPv4
		}
	}
	t.Fatalf("no host %s in status", host)
	return ""
}

func up(t *testing.T, args ...string) {
	t.Helper()
	testutil.MustRun(t, append([]string{"up", "--fabric-only"}, args...)...)
}

func down(t *testing.T, name string) {
	t.Helper()
	testutil.MustRun(t, "down", "--name", name)
	assertNothingLeft(t, name)
}

// assertNothingLeft lists namespaces, links, processes and files and fails
// on anything that belongs to the lab.
func assertNothingLeft(t *testing.T, name string) {
	t.Helper()
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), name+"_") {
			t.Errorf("namespace %s is left", e.Name())
		}
	}
	out, _ := exec.Command("ip", "-o", "link", "show").Output()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "lblab:"+name+" ") || strings.HasSuffix(line, "lblab:"+name) {
			t.Errorf("link is left: %s", line)
		}
	}
	for _, p := range testutil.Processes(lab.RunDir(name) + "/") {
		t.Errorf("process is left: %s", p)
	}
	for _, dir := range []string{lab.RunDir(name), lab.StateDir(name)} {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("directory is left: %s", dir)
		}
	}
}

func TestIntegrationFabricBGPECMP(t *testing.T) {
	testutil.Integration(t)
	const name = "lead-ecmp"
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	up(t, "-t", "bgp-ecmp", "--name", name)

	s := status(t, name)
	if s.Phase != "ready" || len(s.Hosts) != 6 {
		t.Fatalf("status: %+v", s)
	}
	if s.BGP.ASN != 64496 || len(s.BGP.Listening) == 0 {
		t.Errorf("TOR BGP not listening as AS 64496: %+v", s.BGP)
	}
	// FRR answers vtysh, with the config the issue asks for.
	conf := testutil.MustRun(t, "exec", "--name", name, "tor", "--", "vtysh", "-c", "show running-config").Stdout
	for _, want := range []string{"router bgp 64496", "bgp listen range " + hostAddr(t, s, "tor", false)[:len("10.89.")]} {
		if !strings.Contains(conf, want) {
			t.Errorf("running-config lacks %q:\n%s", want, conf)
		}
	}
	sum := testutil.MustRun(t, "exec", "--name", name, "tor", "--", "vtysh", "-c", "show bgp summary json").Stdout
	if _, err := frr.ParseSummary([]byte(sum)); err != nil {
		t.Error(err)
	}
	addrs := testutil.MustRun(t, "exec", "--name", name, "node1", "--", "ip", "-j", "addr").Stdout
	if !strings.Contains(addrs, hostAddr(t, s, "node1", false)) {
		t.Errorf("node1's ip -j addr lacks its address:\n%s", addrs)
	}
	// node ↔ TOR, client → node through the TOR, host → node over the management link.
	testutil.MustRun(t, "exec", "--name", name, "node1", "--", "ping", "-c1", "-W2", hostAddr(t, s, "tor", false))
	testutil.MustRun(t, "exec", "--name", name, "client", "--", "ping", "-c1", "-W2", hostAddr(t, s, "node3", false))
	if out, err := exec.Command("ping", "-c1", "-W2", hostAddr(t, s, "node2", false)).CombinedOutput(); err != nil {
		t.Errorf("the machine cannot reach node2: %v\n%s", err, out)
	}
	down(t, name)
}

func TestIntegrationFabricDualStack(t *testing.T) {
	testutil.Integration(t)
	const name = "lead-dual"
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	up(t, "-t", "bgp-ecmp-dual", "--name", name)
	s := status(t, name)
	for _, v6 := range []bool{false, true} {
		tor := hostAddr(t, s, "tor", v6)
		if tor == "" {
			t.Fatalf("TOR has no address (v6=%v): %+v", v6, s.Hosts)
		}
		for _, node := range []string{"control-plane", "node1", "node2", "node3"} {
			testutil.MustRun(t, "exec", "--name", name, node, "--", "ping", "-c1", "-W2", tor)
		}
		testutil.MustRun(t, "exec", "--name", name, "client", "--", "ping", "-c1", "-W2", hostAddr(t, s, "node1", v6))
	}
	conf := testutil.MustRun(t, "exec", "--name", name, "tor", "--", "vtysh", "-c", "show running-config").Stdout
	if !strings.Contains(conf, "bgp listen range fd00:89:") {
		t.Errorf("no IPv6 listen range:\n%s", conf)
	}
	down(t, name)
}

func TestIntegrationTwoLabsSideBySide(t *testing.T) {
	testutil.Integration(t)
	a, b := "lead-a", "lead-b"
	t.Cleanup(func() { testutil.Run(t, "down", "--name", a); testutil.Run(t, "down", "--name", b) })
	up(t, "--name", a)
	up(t, "--name", b)
	sa, sb := status(t, a), status(t, b)
	if hostAddr(t, sa, "tor", false) == hostAddr(t, sb, "tor", false) {
		t.Fatalf("two labs share a subnet: %s", hostAddr(t, sa, "tor", false))
	}
	// Both TORs answer, and the machine reaches both labs.
	for _, s := range []statusJSON{sa, sb} {
		if out, err := exec.Command("ping", "-c1", "-W2", hostAddr(t, s, "node1", false)).CombinedOutput(); err != nil {
			t.Errorf("ping %s: %v\n%s", hostAddr(t, s, "node1", false), err, out)
		}
	}
	testutil.MustRun(t, "exec", "--name", b, "tor", "--", "vtysh", "-c", "show bgp summary json")
	down(t, a)
	// b is untouched by a's down.
	testutil.MustRun(t, "exec", "--name", b, "tor", "--", "vtysh", "-c", "show bgp summary json")
	testutil.MustRun(t, "exec", "--name", b, "node1", "--", "ping", "-c1", "-W2", hostAddr(t, sb, "tor", false))
	down(t, b)
}

// killedUpThenDown kills `lblab up --name name args...` after each delay
// in turn, and runs down (which asserts that nothing is left) after each.
func killedUpThenDown(t *testing.T, name string, down func(*testing.T, string), delays []time.Duration, args ...string) {
	t.Helper()
	for _, delay := range delays {
		cmd := exec.Command(testutil.Binary(t), append([]string{"up", "--name", name, "-q"}, args...)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		down(t, name)
	}
}

func TestIntegrationKilledUpThenDown(t *testing.T) {
	testutil.Integration(t)
	const name = "lead-killed"
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	killedUpThenDown(t, name, down,
		[]time.Duration{10 * time.Millisecond, 40 * time.Millisecond, 90 * time.Millisecond, 140 * time.Millisecond}, "--fabric-only")
}

// A process the lab started that is still in the host's namespace (nsenter
// on its way into the lab when `up` was killed) dies with the lab: down
// finds it by the lab's mark in its environment.
func TestIntegrationDownKillsMarkedProcess(t *testing.T) {
	testutil.Integration(t)
	const name = "lead-marked"
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	up(t, "--name", name)
	cmd := exec.Command("sleep", "300")
	cmd.Env = append(os.Environ(), proc.OwnerEnv+"="+name)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	down(t, name)
	select {
	case <-exited:
	case <-time.After(time.Second):
		_ = cmd.Process.Kill()
		t.Error("down left a process that carries the lab's mark")
	}
}

func TestIntegrationUpConverges(t *testing.T) {
	testutil.Integration(t)
	const name = "lead-conv"
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	up(t, "--name", name)
	again := testutil.MustRun(t, "up", "--fabric-only", "--name", name)
	if !strings.Contains(again.Stdout, "nothing to change") {
		t.Errorf("second up should change nothing:\n%s", again.Stdout)
	}
	// Break the lab: remove a node's namespace and kill the TOR's bgpd.
	if out, err := exec.Command("ip", "netns", "del", name+"_node2").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	pid, err := os.ReadFile(filepath.Join(lab.RunDir(name), "tor", "bgpd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	_ = exec.Command("kill", strings.TrimSpace(string(pid))).Run()
	time.Sleep(200 * time.Millisecond)
	res := testutil.MustRun(t, "up", "--fabric-only", "--name", name)
	for _, want := range []string{"rebuilt host node2", "started bgpd on tor"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("converging up did not say %q:\n%s", want, res.Stdout)
		}
	}
	s := status(t, name)
	testutil.MustRun(t, "exec", "--name", name, "node2", "--", "ping", "-c1", "-W2", hostAddr(t, s, "tor", false))
	down(t, name)
}

func TestIntegrationDownAbsentLab(t *testing.T) {
	testutil.Integration(t)
	res := testutil.Run(t, "down", "--name", "lead-never-existed")
	if res.ExitCode != 0 {
		t.Errorf("down of an absent lab must succeed: %d %s", res.ExitCode, res.Stderr)
	}
}
