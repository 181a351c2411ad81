package l2probetest

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// build makes the veth pair from A into B, addresses both ends and brings
// them up.
func (p *Pair) build() error {
	// A spacer in B first, so B's eth0 gets another index than A's (a
	// veth pair: some kernels here have no dummy driver).
	spacer := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "spacer0"}, PeerName: "spacer1"}
	if err := p.B.NL.LinkAdd(spacer); err != nil {
		return fmt.Errorf("adding spacer0 in %s: %w", p.B.Name, err)
	}
	hb, err := netns.GetFromPath(p.B.Path)
	if err != nil {
		return err
	}
	defer hb.Close()
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: IfName},
		PeerName:      IfName,
		PeerNamespace: netlink.NsFd(hb),
	}
	if err := p.A.NL.LinkAdd(veth); err != nil {
		return fmt.Errorf("adding veth %s/%s: %w", p.A.Name, p.B.Name, err)
	}
	for _, s := range []*Side{&p.A, &p.B} {
		if p.fam.NoV4 {
			s.V4 = netip.Prefix{}
		}
		if p.fam.NoV6 && s == &p.A {
			s.V6 = netip.Prefix{}
		}
		if err := s.configure(); err != nil {
			return fmt.Errorf("configuring %s in %s: %w", IfName, s.Name, err)
		}
	}
	for _, s := range []*Side{&p.A, &p.B} {
		if err := s.waitUp(5 * time.Second); err != nil {
			return err
		}
	}
	return nil
}

func (s *Side) configure() error {
	lo, err := s.NL.LinkByName("lo")
	if err != nil {
		return err
	}
	if err := s.NL.LinkSetUp(lo); err != nil {
		return err
	}
	l, err := s.NL.LinkByName(IfName)
	if err != nil {
		return err
	}
	if !s.V6.IsValid() {
		sysctl := "/proc/sys/net/ipv6/conf/" + IfName + "/disable_ipv6"
		if err := s.Do(func() error { return os.WriteFile(sysctl, []byte("1"), 0o644) }); err != nil {
			return err
		}
	}
	for _, a := range []*netlink.Addr{
		{IPNet: ipNet(s.V4)},
		{IPNet: ipNet(s.V6), Flags: unix.IFA_F_NODAD},
	} {
		if a.IPNet == nil {
			continue
		}
		if err := s.NL.AddrAdd(l, a); err != nil {
			return fmt.Errorf("adding %s: %w", a.IPNet, err)
		}
	}
	if err := s.NL.LinkSetUp(l); err != nil {
		return err
	}
	s.Index, s.MAC = l.Attrs().Index, l.Attrs().HardwareAddr
	return nil
}

func (s *Side) waitUp(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		l, err := s.NL.LinkByName(IfName)
		if err == nil && l.Attrs().OperState == netlink.OperUp {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s in %s not up after %s (err %v)", IfName, s.Name, limit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Addr returns host n of the pair's IPv4 or IPv6 subnet (n=200 is
// 10.77.0.200 or fd77::c8).
func Addr(v6 bool, n int) netip.Addr {
	if v6 {
		return nth(Subnet6, n)
	}
	return nth(Subnet4, n)
}

func nth(p netip.Prefix, n int) netip.Addr {
	a := p.Masked().Addr()
	for range n {
		a = a.Next()
	}
	return a
}

func ipNet(p netip.Prefix) *net.IPNet {
	if !p.IsValid() {
		return nil
	}
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
