package ipvs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"

	mobyipvs "github.com/moby/ipvs"
)

// ProcFile exists when the kernel has IP_VS (it is per network namespace).
const ProcFile = "/proc/net/ip_vs"

// Netlink reads IPVS in the calling process's network namespace.
type Netlink struct{}

// Read returns the IPVS table, or a Dump with Available=false when the
// kernel has no IP_VS.
func (Netlink) Read(ctx context.Context) (*Dump, error) {
	if _, err := os.Stat(ProcFile); errors.Is(err, os.ErrNotExist) {
		return &Dump{Reason: "the kernel has no IP_VS (CONFIG_IP_VS is off: " + ProcFile + " is missing); kube-proxy's ipvs mode cannot run here: run the lab with --node-kernel uml, the iptables or nftables data plane, or the kind backend on a kernel with IP_VS", VirtualServers: []VirtualServer{}}, nil
	}
	h, err := mobyipvs.New("")
	if err != nil {
		return nil, fmt.Errorf("failed to open IPVS netlink socket: %w", err)
	}
	defer h.Close()
	svcs, err := h.GetServices()
	if err != nil {
		return nil, fmt.Errorf("failed to list IPVS services: %w", err)
	}
	d := &Dump{Available: true, VirtualServers: []VirtualServer{}}
	for _, s := range svcs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dests, err := h.GetDestinations(s)
		if err != nil {
			return nil, fmt.Errorf("failed to list real servers of %s: %w", s.Address, err)
		}
		d.VirtualServers = append(d.VirtualServers, convert(s, dests))
	}
	d.Sort()
	return d, nil
}

// convert turns moby/ipvs values (as netlink reports them) into ours.
func convert(s *mobyipvs.Service, dests []*mobyipvs.Destination) VirtualServer {
	vs := VirtualServer{Address: addrOf(s.Address), Protocol: protoName(s.Protocol), Port: s.Port,
		FWMark: s.FWMark, Scheduler: s.SchedName, RealServers: []RealServer{},
		Stats: Stats{Conns: uint64(s.Stats.Connections), InPkts: uint64(s.Stats.PacketsIn),
			OutPkts: uint64(s.Stats.PacketsOut), InBytes: s.Stats.BytesIn, OutBytes: s.Stats.BytesOut}}
	if s.Flags&0x0001 != 0 { // IP_VS_SVC_F_PERSISTENT
		vs.Persistent = s.Timeout
	}
	for _, d := range dests {
		vs.RealServers = append(vs.RealServers, RealServer{
			Address: netip.AddrPortFrom(addrOf(d.Address), d.Port), Forward: forwardName(d.ConnectionFlags),
			Weight: d.Weight, ActiveConns: d.ActiveConnections, InactiveConns: d.InactiveConnections,
			Stats: Stats{Conns: uint64(d.Stats.Connections), InPkts: uint64(d.Stats.PacketsIn),
				OutPkts: uint64(d.Stats.PacketsOut), InBytes: d.Stats.BytesIn, OutBytes: d.Stats.BytesOut}})
	}
	return vs
}

func addrOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

func protoName(p uint16) string {
	switch p {
	case syscall.IPPROTO_TCP:
		return "tcp"
	case syscall.IPPROTO_UDP:
		return "udp"
	case 132: // IPPROTO_SCTP
		return "sctp"
	}
	return fmt.Sprintf("proto-%d", p)
}

// forwardName names the forwarding method as ipvsadm does.
func forwardName(flags uint32) string {
	switch flags & mobyipvs.ConnectionFlagFwdMask {
	case mobyipvs.ConnectionFlagMasq:
		return "Masq"
	case mobyipvs.ConnectionFlagLocalNode:
		return "Local"
	case mobyipvs.ConnectionFlagTunnel:
		return "Tunnel"
	case mobyipvs.ConnectionFlagDirectRoute:
		return "Route"
	}
	return "Unknown"
}
