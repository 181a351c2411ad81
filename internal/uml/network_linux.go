package uml

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// guestLink is the vector driver's interface: the far end of the tap.
const guestLink = "vec0"

// configureNetwork brings up loopback and the fabric link, named eth0 as
// in a netns node, with the node's addresses and default routes.
func configureNetwork(g Guest) error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return err
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return err
	}
	link, err := netlink.LinkByName(guestLink)
	if err != nil {
		return fmt.Errorf("the guest has no %s (is the tap attached?): %w", guestLink, err)
	}
	if err := netlink.LinkSetName(link, "eth0"); err != nil {
		return err
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return err
	}
	for _, p := range g.Addrs {
		a := &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}}
		if p.Addr().Is6() {
			a.Flags = unix.IFA_F_NODAD
		}
		if err := netlink.AddrReplace(link, a); err != nil {
			return fmt.Errorf("failed to add %s: %w", p, err)
		}
	}
	for _, gw := range g.Gateways {
		r := &netlink.Route{LinkIndex: link.Attrs().Index, Gw: gw.AsSlice()}
		if gw.Is6() {
			r.Family = netlink.FAMILY_V6
		}
		if err := netlink.RouteReplace(r); err != nil {
			return fmt.Errorf("failed to add a default route via %s: %w", gw, err)
		}
	}
	return nil
}
