package netns_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/testutil"
	"github.com/lblab/lblab/internal/uml"
)

// A fabric-only lab whose workers are user-mode Linux guests: they boot,
// answer `lblab exec` with their own kernel (IPVS included), reach the TOR
// over the tap, and `down` leaves no guest process, tap or file.
func TestIntegrationUMLFabric(t *testing.T) {
	testutil.Integration(t)
	const name = "lead-uml"
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	up(t, "--name", name, "--node-kernel", "uml")

	s := status(t, name)
	kernels := map[string]string{}
	for _, h := range s.Hosts {
		kernels[h.Name] = h.Kernel
	}
	if kernels["node1"] != "uml" || kernels["node3"] != "uml" || kernels["control-plane"] != "" || kernels["tor"] != "" {
		t.Errorf("kernels by host: %v; want the workers on uml", kernels)
	}
	exec := func(host string, argv ...string) testutil.Result {
		return testutil.Run(t, append([]string{"exec", "--name", name, host, "--"}, argv...)...)
	}
	if r := exec("node1", "uname", "-r"); r.ExitCode != 0 || !strings.HasPrefix(r.Stdout, "6.1.") {
		t.Errorf("uname -r on node1: exit %d, %q (want the UML kernel 6.1)", r.ExitCode, r.Stdout)
	}
	if r := exec("node2", "cat", "/proc/net/ip_vs"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "IP Virtual Server") {
		t.Errorf("node2 has no IPVS: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	r := exec("node3", "sh", "-c", "echo out; echo err >&2; exit 7")
	if r.ExitCode != 7 || r.Stdout != "out\n" || !strings.Contains(r.Stderr, "err") {
		t.Errorf("exit code, stdout, stderr through the guest: %d %q %q", r.ExitCode, r.Stdout, r.Stderr)
	}
	// Data moved through vector registers across page faults arrives
	// whole: nginx parses its configuration (it crashed when the guest's
	// FPU state was not kept).
	if r := exec("node1", "nginx", "-t"); r.ExitCode != 0 || !strings.Contains(r.Stderr, "test is successful") {
		t.Errorf("nginx -t in a guest: exit %d\n%s", r.ExitCode, r.Stderr)
	}
	if r := exec("tor", "ping", "-c1", "-W2", hostAddr(t, s, "node2", false)); r.ExitCode != 0 {
		t.Errorf("the TOR does not reach node2 over its tap:\n%s", r.Stdout)
	}
	// The guest writes only to its own overlay: the host's / is unchanged.
	marker := "/etc/lblab-guest-write-" + name
	if r := exec("node1", "touch", marker); r.ExitCode != 0 {
		t.Errorf("touch in the guest: %s", r.Stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		_ = os.Remove(marker)
		t.Errorf("a file written in the guest appeared on the host: %s", marker)
	}
	down(t, name)
}

// An `up` killed while guests boot, then `down`, leaves nothing.
func TestIntegrationUMLKilledUpThenDown(t *testing.T) {
	testutil.Integration(t)
	const name = "lead-umlkill"
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	killedUpThenDown(t, name, down, []time.Duration{300 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second},
		"--fabric-only", "--node-kernel", "uml")
}

// A guest whose kernel cannot boot stops `up` with the end of its console
// log, and the failed lab is cleaned up.
func TestIntegrationUMLGuestFailsToBoot(t *testing.T) {
	testutil.Integration(t)
	k, err := uml.Find("")
	if err != nil {
		t.Fatal(err)
	}
	const name = "lead-umlfail"
	t.Cleanup(func() { testutil.Run(t, "down", "--name", name) })
	kernel := filepath.Join(t.TempDir(), "linux.uml")
	script := "#!/bin/sh\n[ \"$1\" = --version ] && { echo " + k.Version + "; exit 0; }\n" +
		"echo 'VFS: Cannot open root device \"hostfs\"'\necho 'Kernel panic - not syncing: VFS: Unable to mount root fs'\nexit 1\n"
	if err := os.WriteFile(kernel, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(uml.EnvKernel, kernel)
	res := testutil.Run(t, "up", "--fabric-only", "--name", name, "--node-kernel", "uml")
	if res.ExitCode == 0 {
		t.Fatal("up with a kernel that cannot boot succeeded")
	}
	for _, want := range []string{"node1's kernel exited", "Unable to mount root fs", "node1-uml.log", "Cleaning up the failed lab"} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("output lacks %q:\n%s", want, res.Stderr)
		}
	}
	assertNothingLeft(t, name)
}
