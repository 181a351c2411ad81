package bgp

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/osrg/gobgp/v4/api"
)

// envHostnameTest turns the test binary into TestHostname's helper.
const envHostnameTest = "LBLAB_TEST_HOSTNAME"

// TestHostname: a speaker given a node's name sends it in GoBGP's hostname
// capability, so its peer sees the node, not the machine. UseHostname
// re-executes the process, so the speaker and its peer (two in-process
// GoBGP servers) run in a helper: this test binary again, in the helper
// branch, which prints the name the peer received.
func TestHostname(t *testing.T) {
	if name := os.Getenv(envHostnameTest); name != "" {
		if err := UseHostname(name); err != nil {
			t.Fatal(err)
		}
		tor, _ := connected(t, 64500)
		fmt.Printf("peer sees hostname %q\n", remoteHostname(t, tor))
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("a UTS namespace needs root (CAP_SYS_ADMIN)")
	}
	machine, _ := os.Hostname()
	const node = "lblab-test-node7"
	cmd := exec.Command(os.Args[0], "-test.run=^TestHostname$", "-test.v")
	cmd.Env = append(os.Environ(), envHostnameTest+"="+node)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("peer sees hostname %q", node); !strings.Contains(string(out), want) {
		t.Errorf("helper printed:\n%s\nwant %s", out, want)
	}
	if now, _ := os.Hostname(); now != machine {
		t.Errorf("the machine's host name changed from %s to %s", machine, now)
	}
}

// remoteHostname is the host name the speaker sent p in its hostname
// capability.
func remoteHostname(t *testing.T, p *testPeer) string {
	t.Helper()
	var name string
	err := p.s.ListPeer(context.Background(), &api.ListPeerRequest{}, func(peer *api.Peer) {
		for _, c := range peer.GetState().GetRemoteCap() {
			if f := c.GetFqdn(); f != nil {
				name = f.GetHostName()
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return name
}
