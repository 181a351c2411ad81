package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lblab/lblab/controller/cpvip"
	"github.com/lblab/lblab/controller/speaker"
	"github.com/lblab/lblab/controller/speaker/bgp"
)

type cpSpeakerFlags struct {
	mode                 string
	name, iface          string
	members              []string
	vips, peers, sources []string
	peerASN, asn         uint32
	routerID             string
	readyz, ca           string
	interval, timeout    time.Duration
	fall, rise           int
	holdTime, keepalive  time.Duration
	gobgpAPI             string
	bfdInterval          time.Duration
	bfdMultiplier        uint8
}

// newCPSpeakerCommand runs a control-plane node's VIP speaker (package
// cpvip): static flags, no Kubernetes API.
func newCPSpeakerCommand(g *globals) *cobra.Command {
	f := &cpSpeakerFlags{}
	cmd := &cobra.Command{
		Use:   "cp-speaker --vip ADDR {--peer ADDR --peer-asn N --asn N --source ADDR | --mode l2 --name NAME --member NAME=URL...} --ca FILE",
		Short: "Announce the control-plane VIP while the kube-apiserver is ready, by BGP or ARP/NDP",
		Long: `Announce the control-plane VIP (--vip, a /32 and/or a /128) by BGP to the
TOR (--peer) while, and only while, the local kube-apiserver answers --readyz
with 200: announced after --rise ready probes in a row, withdrawn after --fall
failed ones. It needs no Kubernetes API: everything comes from the flags.

--source makes the session to the peer of its family speak from that address,
an address of this node's own, so the node's LoadBalancer speaker keeps its
session from the primary address. GoBGP's gRPC API is served on --gobgp-api,
so the gobgp v4 CLI shows the sessions and the VIP (gobgp -p 50052 neighbor,
gobgp -p 50052 global rib). Runs until SIGTERM or SIGINT, then withdraws the
VIP and closes the sessions.

With --mode l2 one control-plane node answers ARP and NDP for the VIPs on
the segment instead, as keepalived would, with no BGP and still no
Kubernetes API: every node's speaker probes its own kube-apiserver (--readyz)
and the other control-plane nodes' (--member NAME=URL, one for each), and
the ready nodes' names give the same owner on every node (rendezvous
hashing). --name is this node's name, as the others' --member give it. The
owner answers on --interface, by default the one whose subnet holds the
first --vip, and announces the VIPs (gratuitous ARP, unsolicited NA) when it
takes them over or sees the other nodes come or go. --peer, --source,
--asn, --peer-asn, --router-id and --bfd-interval are for --mode bgp.`,
		Example: `  lblab cp-speaker --vip 10.89.0.100 --vip fd00:89::100 \
    --peer 10.89.1.1 --peer fd00:89:1::1 --peer-asn 64496 --asn 64510 \
    --source 10.89.1.112 --source fd00:89:1::112 --ca /etc/kubernetes/pki/ca.crt
  gobgp -p 50052 global rib -a ipv4

  lblab cp-speaker --mode l2 --vip 10.89.0.240 --vip fd00:89::f0 \
    --name control-plane --member control-plane2=https://10.89.0.11:6443/readyz \
    --member control-plane3=https://10.89.0.12:6443/readyz --ca /etc/kubernetes/pki/ca.crt`,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE:   func(cmd *cobra.Command, _ []string) error { return runCPSpeaker(cmd.Context(), g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.mode, "mode", string(cpvip.ModeBGP), "how the VIP is announced: bgp (to the TOR) or l2 (ARP/NDP, by one ready node)")
	fl.StringArrayVar(&f.vips, "vip", nil, "a VIP (`ADDR`) to announce as a /32 or /128; repeat for one IPv4 and one IPv6 address")
	fl.StringVar(&f.name, "name", "", "this node's `NAME`, as the other nodes' --member give it (required in --mode l2)")
	fl.StringArrayVar(&f.members, "member", nil, "another control-plane node, `NAME=URL`: its name and its kube-apiserver's readiness URL (--mode l2); repeat for each")
	fl.StringVar(&f.iface, "interface", "", "the `IFACE` to answer ARP/NDP on (--mode l2; default: the one whose subnet holds the first --vip)")
	fl.StringArrayVar(&f.peers, "peer", nil, "a BGP neighbour (`ADDR`, the TOR); repeat for each family: a VIP goes to the peers of its family")
	fl.Uint32Var(&f.peerASN, "peer-asn", 0, "the peers' AS (required in --mode bgp)")
	fl.Uint32Var(&f.asn, "asn", 0, "this speaker's AS (required in --mode bgp)")
	fl.StringArrayVar(&f.sources, "source", nil, "an address of this node (`ADDR`) the session to the peer of its family speaks from, and its next hop; at most one IPv4 and one IPv6")
	fl.StringVar(&f.routerID, "router-id", "", "BGP router ID, an IPv4 address (default: the IPv4 --source)")
	fl.StringVar(&f.readyz, "readyz", "https://127.0.0.1:6443/readyz", "the local kube-apiserver's readiness URL")
	fl.StringVar(&f.ca, "ca", "", "CA `FILE` that signed the kube-apiserver's serving certificate (required for https)")
	fl.DurationVar(&f.interval, "interval", cpvip.DefaultInterval, "probe period")
	fl.DurationVar(&f.timeout, "timeout", cpvip.DefaultTimeout, "timeout of one probe")
	fl.IntVar(&f.fall, "fall", cpvip.DefaultFall, "consecutive failed probes that withdraw the VIP")
	fl.IntVar(&f.rise, "rise", cpvip.DefaultRise, "consecutive ready probes that announce the VIP")
	fl.DurationVar(&f.holdTime, "hold-time", 3*time.Second, "BGP hold time proposed to the peers (whole seconds, at least 3s)")
	fl.DurationVar(&f.keepalive, "keepalive", time.Second, "BGP keepalive interval (whole seconds, below --hold-time)")
	fl.DurationVar(&f.bfdInterval, "bfd-interval", 0, "run BFD beside each BGP session, sending and expecting a packet this often (0: no BFD); a lost peer drops the session after --bfd-multiplier intervals instead of the hold time")
	fl.Uint8Var(&f.bfdMultiplier, "bfd-multiplier", 3, "BFD detection multiplier")
	fl.StringVar(&f.gobgpAPI, "gobgp-api", cpvip.DefaultGoBGPAPI, `address of GoBGP's gRPC API, for the gobgp CLI ("" to disable; the node's LB speaker has 50051)`)
	return cmd
}

func runCPSpeaker(ctx context.Context, g *globals, f *cpSpeakerFlags) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := cpSpeakerConfig(f)
	if err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: logLevel(g.verbosity)}))
	return cpvip.Run(ctx, cfg)
}

// cpSpeakerConfig turns the flags into a cpvip.Config; cpvip.Run checks
// the rest.
func cpSpeakerConfig(f *cpSpeakerFlags) (cpvip.Config, error) {
	cfg := cpvip.Config{
		Mode: cpvip.Mode(f.mode), Self: f.name, Interface: f.iface,
		ReadyzURL: f.readyz, CAFile: f.ca, Interval: f.interval, Timeout: f.timeout, Fall: f.fall, Rise: f.rise,
	}
	var err error
	if cfg.VIPs, err = parseAddrFlag("--vip", f.vips); err != nil {
		return cfg, err
	}
	for _, m := range f.members {
		name, u, ok := strings.Cut(m, "=")
		switch {
		case !ok:
			return cfg, fmt.Errorf("--member %q is not NAME=URL: give another control-plane node's name and its kube-apiserver's /readyz, e.g. control-plane2=https://10.89.0.11:6443/readyz", m)
		case name == "":
			return cfg, fmt.Errorf("--member %q has no name before '=': give the node's name, as its own --name", m)
		}
		cfg.Members = append(cfg.Members, cpvip.Member{Name: name, ReadyzURL: u})
	}
	switch cfg.Mode {
	case cpvip.ModeBGP, "":
		return cpSpeakerBGP(cfg, f)
	case cpvip.ModeL2:
		return cpSpeakerL2(cfg, f)
	}
	return cfg, fmt.Errorf("--mode %q is neither %s nor %s", f.mode, cpvip.ModeBGP, cpvip.ModeL2)
}

// cpSpeakerL2 refuses the flags of --mode bgp in --mode l2: given, they
// would say the node speaks BGP when it does not.
func cpSpeakerL2(cfg cpvip.Config, f *cpSpeakerFlags) (cpvip.Config, error) {
	for _, bgpOnly := range []struct {
		flag  string
		given bool
	}{
		{"--peer", len(f.peers) > 0}, {"--source", len(f.sources) > 0}, {"--asn", f.asn != 0},
		{"--peer-asn", f.peerASN != 0}, {"--router-id", f.routerID != ""}, {"--bfd-interval", f.bfdInterval != 0},
	} {
		if bgpOnly.given {
			return cfg, fmt.Errorf("%s is for --mode bgp", bgpOnly.flag)
		}
	}
	return cfg, nil
}

// cpSpeakerBGP adds the flags of --mode bgp to cfg.
func cpSpeakerBGP(cfg cpvip.Config, f *cpSpeakerFlags) (cpvip.Config, error) {
	cfg.ASN, cfg.GoBGPAPI = f.asn, f.gobgpAPI
	peers, err := parseAddrFlag("--peer", f.peers)
	if err != nil {
		return cfg, err
	}
	sources, err := parseAddrFlag("--source", f.sources)
	if err != nil {
		return cfg, err
	}
	if err := speaker.CheckSourceAddrs(sources); err != nil {
		return cfg, fmt.Errorf("--source: %w", err)
	}
	for _, s := range sources {
		if s.Is4() && !cfg.RouterID.IsValid() {
			cfg.RouterID = s
		}
	}
	if f.routerID != "" {
		if cfg.RouterID, err = netip.ParseAddr(f.routerID); err != nil {
			return cfg, fmt.Errorf("--router-id %q is not an IPv4 address", f.routerID)
		}
	}
	var bfd bgp.BFDTimers
	switch {
	case f.bfdInterval < 0 || f.bfdInterval > 0 && f.bfdInterval < 10*time.Millisecond:
		return cfg, fmt.Errorf("--bfd-interval %s: want 0 (no BFD) or at least 10ms", f.bfdInterval)
	case f.bfdInterval > 0 && f.bfdMultiplier == 0:
		return cfg, fmt.Errorf("--bfd-multiplier 0: want at least 1 with --bfd-interval")
	case f.bfdInterval > 0:
		bfd = bgp.BFDTimers{MinTx: f.bfdInterval, MinRx: f.bfdInterval, Multiplier: f.bfdMultiplier}
	}
	used := map[netip.Addr]bool{}
	for _, a := range peers {
		p := bgp.Peer{Address: a, ASN: f.peerASN, HoldTime: f.holdTime, KeepaliveTime: f.keepalive, BFD: bfd}
		for _, s := range sources {
			if s.Is4() == a.Is4() {
				p.LocalAddress, used[s] = s, true
			}
		}
		cfg.Peers = append(cfg.Peers, p)
	}
	for _, s := range sources {
		if !used[s] {
			return cfg, fmt.Errorf("--source %s is of no --peer's family: pass a --peer of its family, or drop it", s)
		}
	}
	return cfg, nil
}

// parseAddrFlag parses the IP addresses of a repeated flag.
func parseAddrFlag(flag string, vals []string) ([]netip.Addr, error) {
	out := make([]netip.Addr, 0, len(vals))
	for _, v := range vals {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("%s %q is not an IP address: give one without a prefix length", flag, v)
		}
		out = append(out, a.Unmap())
	}
	return out, nil
}
