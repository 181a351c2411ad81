package netns

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
)

// ipBatch runs iproute2 commands in one process, inside ns ("" = the
// machine's own namespace). A failing line fails the batch and names it.
func (b *backend) ipBatch(ctx context.Context, ns string, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	args := []string{"-batch", "-"}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	_, err := b.runner.Run(ctx, run.Cmd{Name: "ip", Args: args, Stdin: strings.NewReader(strings.Join(lines, "\n") + "\n")})
	return err
}

// sysctls sets kernel parameters inside a namespace ("" is the machine's).
func (b *backend) sysctls(ctx context.Context, ns string, kv ...string) error {
	cmd := run.Cmd{Name: "sysctl", Args: append([]string{"-q", "-w"}, kv...)}
	if ns != "" {
		cmd = run.Cmd{Name: "ip", Args: append([]string{"netns", "exec", ns, "sysctl"}, cmd.Args...)}
	}
	_, err := b.runner.Run(ctx, cmd)
	return err
}

// mgmtSysctls are set on the machine's management link: the TOR's ICMPv6
// redirects must not pin the machine's VIP traffic to one control-plane
// node (the kernel would keep that for minutes after the node's route is
// withdrawn). IPv4 redirects the TOR does not send (hostSysctls).
func mgmtSysctls(p *plan) []string {
	return []string{"net.ipv6.conf." + p.hostLink + ".accept_redirects=0"}
}

// reservedPorts are the lab's listening ports inside the kernel's
// ephemeral range (32768-60999), kept out of it in every lab host: the LB
// speaker's GoBGP API (speakerGoBGPAPI) and the VIP speaker's
// (cpvip.DefaultGoBGPAPI). The sysctl covers IPv6 too.
const reservedPorts = "50051-50052"

// hostSysctls are set in every lab host. Nodes and the TOR route; IPv6
// addresses skip duplicate address detection so they work at once.
func hostSysctls(h host) []string {
	kv := []string{
		"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
		"net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0",
		// The speakers' GoBGP APIs listen in the ephemeral port range; a
		// client socket of etcd or kube-apiserver on 127.0.0.1 must not
		// take their port first (it made `bind: address already in use`).
		"net.ipv4.ip_local_reserved_ports=" + reservedPorts,
	}
	if h.role != lab.RoleClient && h.role != lab.RoleLB {
		kv = append(kv, "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
	}
	if h.role == lab.RoleTOR {
		// The machine and the nodes share the TOR's fabric subnet. An ICMP
		// redirect would send them straight to the next hop ECMP picked,
		// and their kernels would keep it for minutes after BGP withdraws
		// that node's route (a frozen API server behind the VIP stayed
		// the machine's choice). Routers doing anycast ECMP do not redirect.
		kv = append(kv, "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0")
	}
	return kv
}

// vipARPSysctls keep a control-plane node's kernel from answering ARP
// for the API server VIP in L2 mode: it is on lo of every control-plane
// node, and Linux answers ARP for any local address on any interface
// unless arp_ignore is 1 (only the receiving interface's addresses). With
// arp_announce 2 the kernel never names the VIP as the sender of its own
// ARP requests either. Only the owner's VIP speaker answers. (NDP needs
// nothing: the kernel answers it for the receiving interface only.)
func vipARPSysctls(p *plan, h host) []string {
	if !p.vipL2 || h.role != lab.RoleControlPlane {
		return nil
	}
	return []string{"net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2"}
}

// fabricLines builds the bridge and one veth per host, whose far end
// becomes eth0 inside the host's namespace; a guest's port is a tap, which
// its kernel opens by name.
func fabricLines(hosts []host, withBridge bool) []string {
	var l []string
	if withBridge {
		l = append(l,
			"link set lo up",
			"link add br0 type bridge forward_delay 0 stp_state 0 mcast_snooping 0",
			"link set br0 up",
		)
	}
	for _, h := range hosts {
		switch {
		case h.port == "":
			continue
		case h.guest:
			l = append(l, fmt.Sprintf("tuntap add dev %s mode tap", h.port))
		default:
			l = append(l, fmt.Sprintf("link add %s type veth peer name eth0 netns %s", h.port, h.ns))
		}
		l = append(l, fmt.Sprintf("link set %s alias %s master br0 up", h.port, h.name))
	}
	return l
}

// mgmtLines creates the machine's management veth into the fabric.
func mgmtLines(p *plan) []string {
	l := []string{
		fmt.Sprintf("link add %s type veth peer name host netns %s", p.hostLink, p.fabricNS),
		fmt.Sprintf("link set %s alias %s up", p.hostLink, p.hostAlias),
	}
	for _, a := range p.mgmt {
		l = append(l, addrLine(a, p.hostLink))
	}
	// The machine reaches a routed API server VIP through the TOR, as
	// every other client does; one in L2 mode is on its own segment.
	for _, v := range p.vips {
		if p.vipL2 {
			break
		}
		for _, gw := range p.tor.addrs {
			if gw.Addr().Is6() == v.Is6() {
				l = append(l, fmt.Sprintf("route replace %s via %s dev %s", netip.PrefixFrom(v, v.BitLen()), gw.Addr(), p.hostLink))
			}
		}
	}
	return l
}

// hostLines configures a host's namespace: loopback, eth0 and its routes.
// The TOR also gets eth1, its link to the client, and in an externalLB
// lab eth2, its link to the lb host.
func hostLines(p *plan, h host) []string {
	// The client's eth0 is created by the TOR's batch, which runs first.
	l := []string{"link set lo up", "link set eth0 up"}
	for _, a := range h.addrs {
		l = append(l, addrLine(a, "eth0"))
	}
	for _, a := range h.fabricAddrs()[len(h.addrs):] {
		l = append(l, classAddrLine(a, "eth0"))
	}
	// A control-plane node accepts the API server VIP: on lo, so that it
	// is never its route's next hop or a source (an IPv6 one deprecated),
	// and, in L2 mode, so that the kernel does not answer ARP/NDP for it
	// on eth0 (with vipARPSysctls): the VIP speaker of the one owner does.
	if h.role == lab.RoleControlPlane && len(p.vips) > 0 {
		for _, v := range p.vips {
			l = append(l, classAddrLine(netip.PrefixFrom(v, v.BitLen()), "lo"))
		}
	}
	if h.role == lab.RoleTOR {
		l = append(l,
			fmt.Sprintf("link add eth1 type veth peer name eth0 netns %s", p.client.ns),
			"link set eth1 alias client up",
		)
		for _, a := range p.torUplink {
			l = append(l, addrLine(a, "eth1"))
		}
		if p.lb != nil {
			l = append(l,
				fmt.Sprintf("link add eth2 type veth peer name eth0 netns %s", p.lb.ns),
				"link set eth2 alias lb up",
			)
			for _, a := range p.torLB {
				l = append(l, addrLine(a, "eth2"))
			}
		}
	}
	for _, gw := range h.gws {
		l = append(l, fmt.Sprintf("route replace default via %s dev eth0", gw))
	}
	return l
}

func addrLine(a netip.Prefix, dev string) string {
	if a.Addr().Is6() {
		return fmt.Sprintf("addr replace %s dev %s nodad", a, dev)
	}
	return fmt.Sprintf("addr replace %s dev %s", a, dev)
}

// classAddrLine adds a class controller's speaker address. It must not
// become the source of anything else the node sends: an IPv4 one comes
// second in its subnet, so the kernel marks it secondary; an IPv6 one is
// deprecated at once (preferred_lft 0), which source selection avoids
// (RFC 6724 rule 3) while a socket bound to it still works.
func classAddrLine(a netip.Prefix, dev string) string {
	if a.Addr().Is6() {
		return fmt.Sprintf("addr replace %s dev %s nodad preferred_lft 0", a, dev)
	}
	return addrLine(a, dev)
}

// ipAddr is the part of `ip -j addr show` that lblab reads.
type ipAddr struct {
	IfName   string `json:"ifname"`
	AddrInfo []struct {
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
	} `json:"addr_info"`
}

// hasAddrs reports whether dev in ns carries every address in want.
func (b *backend) hasAddrs(ctx context.Context, ns, dev string, want []netip.Prefix) bool {
	args := []string{"-j", "addr", "show", "dev", dev}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	out, err := b.runner.Run(ctx, run.Cmd{Name: "ip", Args: args})
	if err != nil {
		return false
	}
	var links []ipAddr
	if json.Unmarshal(out, &links) != nil || len(links) != 1 {
		return false
	}
	var have []netip.Prefix
	for _, ai := range links[0].AddrInfo {
		if a, err := netip.ParseAddr(ai.Local); err == nil {
			have = append(have, netip.PrefixFrom(a, ai.PrefixLen))
		}
	}
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
