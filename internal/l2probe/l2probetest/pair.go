package l2probetest

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/lblab/lblab/internal/netnsexec"
)

// IfName is the name of the veth end in both namespaces.
const IfName = "eth0"

// Side is one namespace of a Pair.
type Side struct {
	Name  string           // namespace name, under /run/netns
	Path  string           // /run/netns/Name, for l2probe.Probe
	Index int              // ifindex of eth0 in this namespace
	MAC   net.HardwareAddr // eth0's MAC
	V4    netip.Prefix     // eth0's IPv4 address and subnet (invalid: none)
	V6    netip.Prefix     // eth0's IPv6 address and subnet, nodad (invalid: none)
	NL    *netlink.Handle  // netlink handle inside the namespace
}

// Pair is the two namespaces: A (meant for a responder) and B (a peer).
type Pair struct {
	A, B Side
	fam  Families
}

// Subnets of the pair: A is .1 / ::1, B is .2 / ::2.
var (
	Subnet4 = netip.MustParsePrefix("10.77.0.0/24")
	Subnet6 = netip.MustParsePrefix("fd77::/64")
)

// Families trims the pair to one address family: NoV4 leaves both ends
// without IPv4 (an IPv6-only segment), NoV6 disables IPv6 on A's end (B
// keeps it, so it can still ask).
type Families struct{ NoV4, NoV6 bool }

// New creates a dual-stack pair, brings both ends and lo up and returns
// when the veth carrier is up. IPv6 link-locals may still be tentative
// (DAD).
func New(t testing.TB) *Pair { t.Helper(); return NewWith(t, Families{}) }

// NewWith is New with fewer families.
func NewWith(t testing.TB, f Families) *Pair {
	t.Helper()
	p := &Pair{fam: f}
	base := fmt.Sprintf("l2t-%d-%s", os.Getpid(), randSuffix())
	for i, s := range []*Side{&p.A, &p.B} {
		s.Name = base + "-" + string(rune('a'+i))
		s.Path = "/run/netns/" + s.Name
		s.V4 = netip.PrefixFrom(nth(Subnet4, i+1), Subnet4.Bits())
		s.V6 = netip.PrefixFrom(nth(Subnet6, i+1), Subnet6.Bits())
		h, err := newNamed(s.Name)
		name := s.Name
		t.Cleanup(func() { _ = netns.DeleteNamed(name) })
		if err != nil {
			t.Fatalf("creating namespace %s: %v", s.Name, err)
		}
		s.NL, err = netlink.NewHandleAt(h, unix.NETLINK_ROUTE)
		h.Close()
		if err != nil {
			t.Fatalf("netlink handle in %s: %v", s.Name, err)
		}
		t.Cleanup(s.NL.Close)
	}
	if err := p.build(); err != nil {
		t.Fatal(err)
	}
	return p
}

// Do runs fn on an OS thread inside the side's namespace (sockets opened in
// fn stay in that namespace).
func (s *Side) Do(fn func() error) error {
	h, err := netns.GetFromPath(s.Path)
	if err != nil {
		return err
	}
	defer h.Close()
	return netnsexec.Run(h, fn)
}

// newNamed creates a named namespace from a locked thread and puts the
// thread back where it was.
func newNamed(name string) (netns.NsHandle, error) {
	type res struct {
		h   netns.NsHandle
		err error
	}
	c := make(chan res, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			c <- res{netns.None(), err}
			return
		}
		defer orig.Close()
		h, err := netns.NewNamed(name)
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		c <- res{h, err}
	}()
	r := <-c
	return r.h, r.err
}

func randSuffix() string {
	var b [2]byte
	_, _ = unix.Getrandom(b[:], 0)
	return fmt.Sprintf("%02x%02x", b[0], b[1])
}
