package bgp

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/iproute"
	"github.com/lblab/lblab/internal/testutil"
)

// helper is a speaker helper process running in a lab node's namespace.
type helper struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

func startHelper(t *testing.T, ns, name string, routerID netip.Addr, peers string) *helper {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestHelperSpeakerProcess$")
	cmd.Env = append(os.Environ(), envHelper+"="+routerID.String(), "SPEAKER_PEERS="+peers)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{t: t, name: name, cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	t.Cleanup(h.stop)
	if got := h.read(); got != "ready" {
		t.Fatalf("speaker helper on %s: %s", name, got)
	}
	return h
}

func (h *helper) read() string {
	h.t.Helper()
	if !h.out.Scan() {
		h.t.Fatalf("speaker helper on %s exited", h.name)
	}
	return h.out.Text()
}

// do sends one command and returns the answer.
func (h *helper) do(format string, args ...any) string {
	h.t.Helper()
	fmt.Fprintf(h.stdin, format+"\n", args...)
	got := h.read()
	if strings.HasPrefix(got, "error:") {
		h.t.Fatalf("speaker helper on %s: %s", h.name, got)
	}
	return got
}

// stop closes stdin: the helper stops GoBGP, which sends CEASE.
func (h *helper) stop() {
	if h.cmd.ProcessState != nil {
		return
	}
	h.stdin.Close()
	done := make(chan struct{})
	go func() { h.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		h.cmd.Process.Kill()
		<-done
	}
}

// ethAddrs returns the global addresses of eth0 in a namespace, IPv4 first.
func ethAddrs(t *testing.T, ns string) []netip.Addr {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "ip", "-j", "addr", "show", "dev", "eth0").Output()
	if err != nil {
		t.Fatalf("ip addr in %s: %v", ns, err)
	}
	var links []struct {
		AddrInfo []struct {
			Local string `json:"local"`
			Scope string `json:"scope"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal(out, &links); err != nil {
		t.Fatal(err)
	}
	var addrs []netip.Addr
	for _, l := range links {
		for _, a := range l.AddrInfo {
			if a.Scope == "global" {
				addrs = append(addrs, netip.MustParseAddr(a.Local))
			}
		}
	}
	return frr.SortAddrs(addrs)
}

// torView is what the TOR has for a prefix: the BGP paths' next hops and
// AS paths, and the kernel route's gateways.
type torView struct {
	bgp, fib []netip.Addr
	asPaths  [][]uint32
}

func tor(t *testing.T, lab string, p netip.Prefix) torView {
	t.Helper()
	fam, ipFlag := "ipv4", "-4"
	if p.Addr().Is6() {
		fam, ipFlag = "ipv6", "-6"
	}
	var v torView
	out := testutil.MustRun(t, "exec", "--name", lab, "tor", "--", "vtysh", "-c", "show bgp "+fam+" unicast json").Stdout
	rib, err := frr.ParseRIB([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := rib.Lookup(p); ok {
		v.bgp = r.SelectedNexthops()
		for _, path := range r.Paths {
			v.asPaths = append(v.asPaths, path.ASPath)
		}
	}
	out = testutil.MustRun(t, "exec", "--name", lab, "tor", "--", "ip", ipFlag, "-j", "route", "show", p.Addr().String()).Stdout
	routes, err := iproute.Parse([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := iproute.Lookup(routes, p); ok {
		v.fib = r.Gateways()
	}
	return v
}

// waitTOR waits until the TOR's BGP next hops and kernel route gateways
// for p are both exactly want.
func waitTOR(t *testing.T, lab string, p netip.Prefix, want []netip.Addr) torView {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v := tor(t, lab, p)
		if slices.Equal(v.bgp, want) && slices.Equal(v.fib, want) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("TOR route for %s: BGP next hops %v, kernel gateways %v; want %v", p, v.bgp, v.fib, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestIntegrationFRR runs the BGP layer in the three worker namespaces of a
// dual-stack fabric-only lab and checks the real FRR TOR: one path per node
// with the node's address as next hop (a global IPv6 address for /128s),
// an ECMP kernel route over exactly those nodes, and withdrawals, explicit
// or by a stopped speaker, removing the node from both.
func TestIntegrationFRR(t *testing.T) {
	testutil.Integration(t)
	const lab = "spk-it"
	testutil.Run(t, "down", "--name", lab)
	testutil.MustRun(t, "up", "--fabric-only", "-t", "bgp-ecmp-dual", "--name", lab)
	t.Cleanup(func() { testutil.Run(t, "down", "--name", lab) })

	torAddrs := ethAddrs(t, lab+"_tor")
	if len(torAddrs) != 2 {
		t.Fatalf("TOR addresses %v, want one per family", torAddrs)
	}
	peers := "tor4=" + torAddrs[0].String() + ",tor6=" + torAddrs[1].String()
	var (
		helpers []*helper
		v4, v6  []netip.Addr
	)
	for _, n := range []string{"node1", "node2", "node3"} {
		addrs := ethAddrs(t, lab+"_"+n)
		v4, v6 = append(v4, addrs[0]), append(v6, addrs[1])
		helpers = append(helpers, startHelper(t, lab+"_"+n, n, addrs[0], peers))
	}
	for _, h := range helpers {
		deadline := time.Now().Add(20 * time.Second)
		for h.do("sessions") != "2" {
			if time.Now().After(deadline) {
				t.Fatalf("%s: sessions to the TOR not established", h.name)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	lb4, lb6 := netip.MustParsePrefix("198.51.100.5/32"), netip.MustParsePrefix("2001:db8:100::5/128")
	for _, h := range helpers {
		h.do("announce %s", lb4.Addr())
		h.do("announce %s", lb6.Addr())
	}
	got := waitTOR(t, lab, lb4, v4)
	for _, p := range got.asPaths {
		if !slices.Equal(p, []uint32{64500}) {
			t.Errorf("AS path %v, want [64500]", p)
		}
	}
	waitTOR(t, lab, lb6, v6)

	helpers[1].do("withdraw %s", lb4.Addr())
	waitTOR(t, lab, lb4, []netip.Addr{v4[0], v4[2]})
	waitTOR(t, lab, lb6, v6)

	helpers[2].stop() // CEASE: node3 leaves both routes
	waitTOR(t, lab, lb4, []netip.Addr{v4[0]})
	waitTOR(t, lab, lb6, []netip.Addr{v6[0], v6[1]})

	helpers[0].do("withdraw %s", lb4.Addr())
	helpers[0].do("withdraw %s", lb6.Addr())
	helpers[1].do("withdraw %s", lb6.Addr())
	waitTOR(t, lab, lb4, nil)
	waitTOR(t, lab, lb6, nil)
}
