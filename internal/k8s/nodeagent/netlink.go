package nodeagent

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// RouteProtocol marks the routes the agent owns in the node namespace
// (`ip route show proto 76`), so it removes only its own.
const RouteProtocol netlink.RouteProtocol = 76

// podSysctls are set inside every pod namespace: nginx may bind port 80
// without privileges (as Docker allows in containers), and IPv6 addresses
// are usable at once.
var podSysctls = [][2]string{
	{"net/ipv4/ip_unprivileged_port_start", "0"},
	{"net/ipv6/conf/all/accept_dad", "0"},
	{"net/ipv6/conf/default/accept_dad", "0"},
	{"net/ipv6/conf/all/accept_ra", "0"},
	{"net/ipv6/conf/default/accept_ra", "0"},
}

// nodeSysctls make the node namespace a router between pods and the fabric.
var nodeSysctls = [][2]string{
	{"net/ipv4/ip_forward", "1"},
	{"net/ipv6/conf/all/forwarding", "1"},
}

// linuxNetwork is the real Network, on netlink.
type linuxNetwork struct {
	lab    string
	nodeNS string         // the node namespace's name; "" is the agent's own
	ns     netns.NsHandle // the node namespace
	node   *netlink.Handle
	masq   string // MasqNFTables or MasqIPTables
}

// NewLinuxNetwork returns the real Network for the pods of lab. nodeNetns
// names the node namespace; "" means the namespace the agent runs in.
// masq is MasqNFTables or MasqIPTables ("" is nftables).
func NewLinuxNetwork(lab, nodeNetns, masq string) (Network, error) {
	switch masq {
	case "", MasqNFTables, MasqIPTables:
	default:
		return nil, fmt.Errorf("--masquerade %q: want %s or %s", masq, MasqNFTables, MasqIPTables)
	}
	ns, err := netns.Get()
	if nodeNetns != "" {
		ns, err = netns.GetFromName(nodeNetns)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to open the node's network namespace: %w", err)
	}
	// Links, addresses and routes only: a kernel without XFRM (Debian's
	// user-mode Linux) refuses the handle's other default families.
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("failed to open netlink in the node's namespace: %w", err)
	}
	return &linuxNetwork{lab: lab, nodeNS: nodeNetns, ns: ns, node: h, masq: masq}, nil
}

func (n *linuxNetwork) Init() error {
	return inNetns(n.ns, func() error { return writeSysctls(nodeSysctls) })
}

func (n *linuxNetwork) PodNetworks() ([]PodNetwork, error) {
	links, err := n.node.LinkList()
	if err != nil {
		return nil, fmt.Errorf("failed to list links: %w", err)
	}
	var out []PodNetwork
	for _, l := range links {
		// Each pod's host veth names its namespace in its alias.
		if alias := l.Attrs().Alias; l.Type() == "veth" && strings.HasPrefix(alias, podNetNSPrefix(n.lab)) {
			out = append(out, PodNetwork{Netns: alias, HostVeth: l.Attrs().Name})
		}
	}
	return out, nil
}

func (n *linuxNetwork) Setup(p PodNetwork) error {
	ns, err := n.podNetns(p.Netns)
	if err != nil {
		return err
	}
	defer ns.Close()
	pod, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("failed to open netlink in %s: %w", p.Netns, err)
	}
	defer pod.Close()
	host, err := n.ensureVeth(p, ns, pod)
	if err != nil {
		return err
	}
	if err := n.configureHost(p, host); err != nil {
		return err
	}
	return configurePod(p, pod)
}

// podNetns opens the pod's namespace, creating it if needed.
func (n *linuxNetwork) podNetns(name string) (netns.NsHandle, error) {
	return ensurePodNetns(name, func() error { return writeSysctls(podSysctls) })
}

// ensureVeth returns the node end of the pod's veth, creating the pair
// (its pod end named eth0 in the pod's namespace) when either end is missing.
func (n *linuxNetwork) ensureVeth(p PodNetwork, ns netns.NsHandle, pod *netlink.Handle) (netlink.Link, error) {
	host, herr := n.node.LinkByName(p.HostVeth)
	_, perr := pod.LinkByName("eth0")
	if herr == nil && perr == nil {
		return host, nil
	}
	if herr == nil {
		_ = n.node.LinkDel(host)
	}
	if perr == nil {
		_ = pod.LinkDel(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}})
	}
	mtu := 1500
	if up, err := n.node.LinkByName("eth0"); err == nil {
		mtu = up.Attrs().MTU
	}
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: p.HostVeth, MTU: mtu},
		PeerName:      "eth0",
		PeerNamespace: netlink.NsFd(int(ns)),
		PeerMTU:       uint32(mtu),
	}
	if err := n.node.LinkAdd(veth); err != nil {
		return nil, fmt.Errorf("failed to create veth %s for %s: %w", p.HostVeth, p.Netns, err)
	}
	host, err := n.node.LinkByName(p.HostVeth)
	if err != nil {
		return nil, fmt.Errorf("failed to find veth %s: %w", p.HostVeth, err)
	}
	if err := n.node.LinkSetAlias(host, p.Netns); err != nil {
		return nil, fmt.Errorf("failed to label veth %s: %w", p.HostVeth, err)
	}
	return host, nil
}

// configureHost puts the gateways on the node end and routes each pod IP
// to it.
func (n *linuxNetwork) configureHost(p PodNetwork, host netlink.Link) error {
	for _, gw := range p.Gateways {
		if err := n.node.AddrReplace(host, hostAddr(gw)); err != nil {
			return fmt.Errorf("failed to add %s to %s: %w", gw, p.HostVeth, err)
		}
	}
	if err := n.node.LinkSetUp(host); err != nil {
		return fmt.Errorf("failed to bring up %s: %w", p.HostVeth, err)
	}
	for _, ip := range p.IPs {
		r := &netlink.Route{LinkIndex: host.Attrs().Index, Dst: ipNet(netip.PrefixFrom(ip, ip.BitLen())),
			Scope: netlink.SCOPE_LINK, Protocol: RouteProtocol}
		if err := n.node.RouteReplace(r); err != nil {
			return fmt.Errorf("failed to route %s to %s: %w", ip, p.HostVeth, err)
		}
	}
	return nil
}

// configurePod brings up lo and eth0, adds the pod IPs as host addresses
// and routes everything via the gateways, like the ptp CNI plugin.
func configurePod(p PodNetwork, pod *netlink.Handle) error {
	lo, err := pod.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("failed to find lo in %s: %w", p.Netns, err)
	}
	eth0, err := pod.LinkByName("eth0")
	if err != nil {
		return fmt.Errorf("failed to find eth0 in %s: %w", p.Netns, err)
	}
	for _, l := range []netlink.Link{lo, eth0} {
		if err := pod.LinkSetUp(l); err != nil {
			return fmt.Errorf("failed to bring up %s in %s: %w", l.Attrs().Name, p.Netns, err)
		}
	}
	for _, ip := range p.IPs {
		a := &netlink.Addr{IPNet: ipNet(netip.PrefixFrom(ip, ip.BitLen()))}
		if ip.Is6() {
			a.Flags = unix.IFA_F_NODAD
		}
		if err := pod.AddrReplace(eth0, a); err != nil {
			return fmt.Errorf("failed to add %s to eth0 in %s: %w", ip, p.Netns, err)
		}
	}
	idx := eth0.Attrs().Index
	for _, gw := range p.Gateways {
		if gw.Is4() { // the gateway is on-link
			r := &netlink.Route{LinkIndex: idx, Dst: ipNet(netip.PrefixFrom(gw, 32)), Scope: netlink.SCOPE_LINK}
			if err := pod.RouteReplace(r); err != nil {
				return fmt.Errorf("failed to route to gateway %s in %s: %w", gw, p.Netns, err)
			}
		}
		def := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if gw.Is6() {
			def = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
		r := &netlink.Route{LinkIndex: idx, Dst: ipNet(def), Gw: gw.AsSlice()}
		if err := pod.RouteReplace(r); err != nil {
			return fmt.Errorf("failed to add the default route via %s in %s: %w", gw, p.Netns, err)
		}
	}
	return nil
}

func (n *linuxNetwork) Teardown(p PodNetwork) error {
	var errs []error
	if host, err := n.node.LinkByName(p.HostVeth); err == nil {
		if err := n.node.LinkDel(host); err != nil {
			errs = append(errs, fmt.Errorf("failed to delete veth %s: %w", p.HostVeth, err))
		}
	}
	if p.Netns != "" {
		if err := deleteNetns(p.Netns); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (n *linuxNetwork) SyncRoutes(want []Route) error {
	var errs []error
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		have, err := n.node.RouteListFiltered(fam, &netlink.Route{Protocol: RouteProtocol}, netlink.RT_FILTER_PROTOCOL)
		if err != nil {
			return fmt.Errorf("failed to list routes: %w", err)
		}
		for _, r := range have {
			if r.Gw == nil || r.Dst == nil { // a pod's host route
				continue
			}
			got := Route{Dst: prefixOf(r.Dst), Via: addrOf(r.Gw)}
			if !slices.Contains(want, got) {
				if err := n.node.RouteDel(&r); err != nil {
					errs = append(errs, fmt.Errorf("failed to delete route %s via %s: %w", got.Dst, got.Via, err))
				}
			}
		}
	}
	for _, r := range want {
		nr := &netlink.Route{Dst: ipNet(r.Dst), Gw: r.Via.AsSlice(), Protocol: RouteProtocol}
		if err := n.node.RouteReplace(nr); err != nil {
			errs = append(errs, fmt.Errorf("failed to route %s via %s: %w", r.Dst, r.Via, err))
		}
	}
	return errors.Join(errs...)
}

func hostAddr(gw netip.Addr) *netlink.Addr {
	a := &netlink.Addr{IPNet: ipNet(netip.PrefixFrom(gw, gw.BitLen()))}
	if gw.Is6() {
		a.IPNet = ipNet(netip.PrefixFrom(gw, 64))
		a.Flags = unix.IFA_F_NODAD
	}
	return a
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func prefixOf(n *net.IPNet) netip.Prefix {
	a, _ := netip.AddrFromSlice(n.IP)
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones)
}

func addrOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}
