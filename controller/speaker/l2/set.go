package l2

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/vishvananda/netlink"
)

// Set makes ips the full set of IPs owned on this interface. Removed IPs
// stop being answered at once; added ones are announced at once (gratuitous
// ARP, unsolicited NA) and again at the times in announceAt. IPs the
// interface carries itself (the kernel answers for them) and IPs of a
// family the interface cannot serve are left out, with a log line.
func (r *Responder) Set(ips []netip.Addr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		r.log.Warn("Set on a closed L2 responder ignored", "ips", ips)
		return
	}
	// Under r.mu, so Close cannot close r.nl meanwhile.
	if self, err := r.ownAddrs(); err == nil {
		r.self = self
	} else {
		r.log.Warn("cannot re-read the interface's addresses; using the last ones", "err", err)
	}
	want, skipped := wanted(ips, r.self, r.arp != nil, r.ndp != nil)
	for ip, why := range skipped {
		r.log.Warn("not answering for IP", "ip", ip, "reason", why)
	}
	var added []netip.Addr
	for ip := range r.owned {
		if !want[ip] {
			delete(r.owned, ip)
			r.leave(ip)
			r.log.Info("stopped answering", "ip", ip)
		}
	}
	for ip := range want {
		if !r.owned[ip] {
			r.owned[ip] = true
			r.join(ip)
			added = append(added, ip)
			r.log.Info("answering", "ip", ip)
		}
	}
	if len(added) == 0 {
		return
	}
	for _, ip := range added {
		r.announce(ip)
	}
	r.wg.Add(1)
	go r.repeat(added)
}

// Announce announces every owned IP again, at once and at the later times
// in announceAt, as Set does for an added IP. It is for an owner whose
// neighbours may have learnt another node's MAC meanwhile although it kept
// the IPs: it was cut off from the segment, another node took over, and
// it is back.
func (r *Responder) Announce() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || len(r.owned) == 0 {
		return
	}
	ips := make([]netip.Addr, 0, len(r.owned))
	for ip := range r.owned {
		r.announce(ip)
		ips = append(ips, ip)
	}
	r.log.Debug("announcing again", "ips", ips)
	r.wg.Add(1)
	go r.repeat(ips)
}

// wanted normalises ips (unmapped, no zone, no duplicates) and drops the
// interface's own addresses and families that are not served, saying why.
func wanted(ips []netip.Addr, self map[netip.Addr]bool, v4, v6 bool) (map[netip.Addr]bool, map[netip.Addr]string) {
	want, skipped := map[netip.Addr]bool{}, map[netip.Addr]string{}
	for _, ip := range ips {
		ip = ip.Unmap().WithZone("")
		switch {
		case !ip.IsValid():
		case self[ip]:
			skipped[ip] = "an address of the interface itself: the kernel answers for it"
		case ip.Is4() && !v4:
			skipped[ip] = "IPv4, and the interface has no IPv4 address to run ARP with"
		case ip.Is6() && !v6:
			skipped[ip] = "IPv6, and the interface has no link-local address to run NDP with"
		case ip.IsMulticast() || ip.IsUnspecified() || ip.IsLoopback() || ip.IsLinkLocalUnicast():
			skipped[ip] = "not a unicast address a LoadBalancer can have"
		default:
			want[ip] = true
		}
	}
	return want, skipped
}

// repeat re-announces ips, still owned, at announceAt[1:].
func (r *Responder) repeat(ips []netip.Addr) {
	defer r.wg.Done()
	start := time.Now()
	for _, at := range announceAt[1:] {
		t := time.NewTimer(time.Until(start.Add(at)))
		select {
		case <-r.done:
			t.Stop()
			return
		case <-t.C:
		}
		for _, ip := range ips {
			if r.isOwned(ip) {
				r.announce(ip)
			}
		}
	}
}

func (r *Responder) announce(ip netip.Addr) {
	var err error
	if ip.Is4() {
		err = r.gratuitousARP(ip)
	} else {
		err = r.unsolicitedNA(ip)
	}
	if err != nil {
		r.log.Warn("announcing failed", "ip", ip, "err", err)
	}
}

// join joins ip's solicited-node group, once per group; r.mu is held.
func (r *Responder) join(ip netip.Addr) {
	if !ip.Is6() {
		return
	}
	g, _ := ndp.SolicitedNodeMulticast(ip)
	if r.groups[g]++; r.groups[g] == 1 {
		if err := r.ndp.JoinGroup(g); err != nil {
			r.log.Error("joining the solicited-node group failed: multicast solicitations will not arrive", "ip", ip, "group", g, "err", err)
		}
	}
}

// leave undoes join; r.mu is held.
func (r *Responder) leave(ip netip.Addr) {
	if !ip.Is6() {
		return
	}
	g, _ := ndp.SolicitedNodeMulticast(ip)
	if r.groups[g]--; r.groups[g] > 0 {
		return
	}
	delete(r.groups, g)
	if err := r.ndp.LeaveGroup(g); err != nil {
		r.log.Warn("leaving the solicited-node group failed", "group", g, "err", err)
	}
}

// ownAddrs reads the interface's own addresses.
func (r *Responder) ownAddrs() (map[netip.Addr]bool, error) {
	link, err := r.nl.LinkByIndex(r.ifi.Index)
	if err != nil {
		return nil, fmt.Errorf("l2: interface %s: %w", r.ifi.Name, err)
	}
	addrs, err := r.nl.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("l2: addresses of %s: %w", r.ifi.Name, err)
	}
	self := map[netip.Addr]bool{}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			self[ip.Unmap()] = true
		}
	}
	return self, nil
}

// families tells whether addrs has an IPv4 address and an IPv6 link-local.
func families(addrs map[netip.Addr]bool) (v4, ll bool) {
	for ip := range addrs {
		v4 = v4 || ip.Is4()
		ll = ll || (ip.Is6() && ip.IsLinkLocalUnicast())
	}
	return v4, ll
}
