package externallb

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/lblab/lblab/internal/haproxy"
)

// skipUnlessReal skips a test that needs root and HAProxy, unless
// LBLAB_INTEGRATION=1 makes their absence a failure.
func skipUnlessReal(t *testing.T, why string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("LBLAB_INTEGRATION") == "1" {
		t.Fatalf("LBLAB_INTEGRATION=1 but %s", why)
	}
	t.Skip(why)
}

// TestLocal runs the real Programmer in a network namespace of its own
// (made for the test, gone with it) on a veth device: addresses added
// and removed, only the pools' host addresses touched, HAProxy forwarding
// both families.
func TestLocal(t *testing.T) {
	skipUnlessReal(t, "not root", os.Geteuid() == 0)
	_, err := os.Stat(haproxy.DefaultBinary)
	skipUnlessReal(t, "no HAProxy at "+haproxy.DefaultBinary, err == nil)
	// Never unlocked: the thread, and the namespace with it, end with the
	// test. Sockets and HAProxy made from this goroutine live in it.
	runtime.LockOSThread()
	ns, err := netns.New()
	skipUnlessReal(t, "cannot make a network namespace", err == nil)
	defer ns.Close()
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
	// A veth pair (this kernel may have no dummy devices), both ends here.
	if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "lb0"}, PeerName: "lb0-peer"}); err != nil {
		t.Fatal(err)
	}
	if peer, err := netlink.LinkByName("lb0-peer"); err != nil || netlink.LinkSetUp(peer) != nil {
		t.Fatalf("veth peer: %v", err)
	}
	dev, err := netlink.LinkByName("lb0")
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(dev); err != nil {
		t.Fatal(err)
	}
	// In a pool and unwanted (removed); outside the pools; in a pool but
	// not a host address (both kept).
	for _, a := range []string{"198.51.100.14/32", "192.0.2.1/32", "198.51.100.1/24"} {
		addr, _ := netlink.ParseAddr(a)
		if err := netlink.AddrAdd(dev, addr); err != nil {
			t.Fatal(err)
		}
	}
	v4 := echoServer(t, "v4", "127.0.0.1:0")
	v6 := echoServer(t, "v6", "[::1]:0")

	opts := DefaultOptions()
	opts.Pools, _ = ParsePools([]string{"198.51.100.0/24", "2001:db8:100::/120"})
	opts.Device, opts.Dir = "lb0", t.TempDir()
	l := NewLocal(opts, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	defer l.Close()
	lb4, lb6 := netip.MustParseAddr("198.51.100.10"), netip.MustParseAddr("2001:db8:100::10")
	check := haproxy.Check{Interval: 100 * time.Millisecond, Fall: 2, Rise: 2}
	cfg := haproxy.Config{Dir: opts.Dir, Frontends: []haproxy.Frontend{
		{Name: "web_v4", Bind: netip.AddrPortFrom(lb4, 8080), Check: check, Servers: []haproxy.Server{{Name: "n1", Addr: v4}}},
		{Name: "web_v6", Bind: netip.AddrPortFrom(lb6, 8080), Check: check, Servers: []haproxy.Server{{Name: "n1", Addr: v6}}},
	}}
	start := time.Now()
	if err := l.Apply(t.Context(), []netip.Addr{lb4, lb6}, cfg); err != nil {
		t.Fatal(err)
	}
	t.Logf("first Apply (HAProxy started) in %s", time.Since(start).Round(time.Millisecond))
	if got, want := addrsOf(t, dev), "192.0.2.1/32 198.51.100.1/24 198.51.100.10/32 2001:db8:100::10/128"; got != want {
		t.Errorf("addresses on lb0: %s, want %s", got, want)
	}
	for _, fe := range cfg.Frontends {
		if got, err := roundTrip(fe.Bind, 2*time.Second); err != nil || got != strings.TrimPrefix(fe.Name, "web_")+":ping" {
			t.Errorf("through %s: %q, %v", fe.Bind, got, err)
		}
	}
	// Again: nothing changes, no reload.
	if err := l.Apply(t.Context(), []netip.Addr{lb4, lb6}, cfg); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := l.Apply(t.Context(), nil, haproxy.Config{Dir: opts.Dir}); err != nil {
		t.Fatal(err)
	}
	t.Logf("emptying Apply in %s", time.Since(start).Round(time.Millisecond))
	if got, want := addrsOf(t, dev), "192.0.2.1/32 198.51.100.1/24"; got != want {
		t.Errorf("addresses on lb0: %s, want %s", got, want)
	}
	if _, err := roundTrip(cfg.Frontends[0].Bind, 200*time.Millisecond); err == nil {
		t.Error("the v4 frontend still answers")
	}
	if err := l.Apply(t.Context(), nil, haproxy.Config{Dir: opts.Dir}); err != nil {
		t.Fatal(err)
	}
	opts.Device = "nosuch0"
	err = NewLocal(opts, nil, nil).Apply(t.Context(), nil, haproxy.Config{Dir: opts.Dir})
	if err == nil || !strings.Contains(err.Error(), "device nosuch0") || !strings.Contains(err.Error(), "--device") {
		t.Errorf("missing device: %v", err)
	}
}

func addrsOf(t *testing.T, link netlink.Link) string {
	t.Helper()
	list, err := netlink.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, a := range list {
		if a.IP.IsLinkLocalUnicast() {
			continue
		}
		s = append(s, a.IPNet.String())
	}
	slices.Sort(s)
	return strings.Join(s, " ")
}

func echoServer(t *testing.T, name, addr string) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				if line, err := bufio.NewReader(c).ReadString('\n'); err == nil {
					_, _ = io.WriteString(c, name+":"+line)
				}
			}()
		}
	}()
	return netip.MustParseAddrPort(ln.Addr().String())
}

func roundTrip(addr netip.AddrPort, timeout time.Duration) (string, error) {
	c, err := net.DialTimeout("tcp", addr.String(), timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		return "", err
	}
	out, err := io.ReadAll(c)
	return strings.TrimSpace(string(out)), err
}
