package netns

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/lblab/lblab/controller/cpvip"
	"github.com/lblab/lblab/internal/iproute"
	"github.com/lblab/lblab/internal/k8s/controlplane"
	"github.com/lblab/lblab/internal/run"
)

// vipSpeakerGoBGPAPI is where each VIP speaker's GoBGP API listens, inside
// its control-plane node: `lblab exec control-plane2 -- gobgp -p 50052
// global rib`.
const vipSpeakerGoBGPAPI = cpvip.DefaultGoBGPAPI

// vipTimeout bounds the wait for the first VIP route: the speakers' BGP
// sessions come up within seconds of their start.
const vipTimeout = 60 * time.Second

// vipSpeakers returns one `lblab cp-speaker` per control-plane node of a
// lab with an API server VIP: it announces the VIP to the TOR from the
// node's VIP address while the node's own kube-apiserver answers /readyz.
// It reads nothing from the cluster, so it works while the cluster is down.
func (c *cluster) vipSpeakers() []daemon {
	cp := c.l.Topology.ControlPlane
	if cp == nil || len(c.p.vips) == 0 {
		return nil
	}
	self, err := selfBinary()
	if err != nil {
		self = "lblab"
	}
	var out []daemon
	for i, m := range c.cps {
		argv := []string{self, "cp-speaker",
			"--readyz=" + c.cfg.LocalServer() + "/readyz",
			"--ca=" + c.files.CACert,
			"--asn=" + strconv.FormatUint(uint64(c.l.Topology.Controller.ASN), 10),
			"--peer-asn=" + strconv.FormatUint(uint64(c.l.Topology.TOR.ASN), 10),
			"--hold-time=" + strconv.Itoa(cp.HoldTime) + "s",
			"--keepalive=" + strconv.Itoa(cp.KeepaliveTime) + "s",
			"--interval=" + strconv.Itoa(cp.Probe.IntervalMS) + "ms",
			"--timeout=" + strconv.Itoa(cp.Probe.TimeoutMS) + "ms",
			"--fall=" + strconv.Itoa(cp.Probe.Fall),
			"--rise=" + strconv.Itoa(cp.Probe.Rise),
			"--gobgp-api=" + vipSpeakerGoBGPAPI,
		}
		if b := c.l.Topology.TOR.BFD; b != nil {
			argv = append(argv, "--bfd-interval="+strconv.Itoa(max(b.TransmitInterval, b.ReceiveInterval))+"ms",
				"--bfd-multiplier="+strconv.Itoa(b.DetectMultiplier))
		}
		for _, v := range c.p.vips {
			argv = append(argv, "--vip="+v.String())
		}
		for _, a := range c.p.tor.addrs {
			argv = append(argv, "--peer="+a.Addr().String())
		}
		for _, a := range m.vipAddrs {
			argv = append(argv, "--source="+a.Addr().String())
		}
		if !m.vipAddrs[0].Addr().Is4() {
			// BGP identifiers are IPv4 addresses; an IPv6-only node has
			// none of its own.
			argv = append(argv, "--router-id="+netip.AddrFrom4([4]byte{10, 255, 255, byte(i + 1)}).String())
		}
		out = append(out, daemon{name: "VIP speaker on " + m.name, file: m.name + "-cp-speaker", ns: m.ns, argv: argv,
			stale: c.stale(c.files.CACert)})
	}
	return out
}

// startVIP starts the VIP speakers and waits until the machine reaches a
// ready kube-apiserver through the VIP, which proves the TOR's route.
func (c *cluster) startVIP(ctx context.Context, hc *http.Client) error {
	ds := c.vipSpeakers()
	if len(ds) == 0 {
		return nil
	}
	for _, d := range ds {
		if err := c.ensureDaemon(ctx, d); err != nil {
			return err
		}
	}
	// Every control-plane node in the route first: a next hop added later
	// rehashes the TOR's ECMP flows and resets connections already made
	// through the VIP (the first `up` of a lab hit that).
	for _, v := range c.p.vips {
		err := c.procs.waitUntil(ctx, fmt.Sprintf("waiting for the TOR's route for the API server VIP %s to reach all %d control-plane nodes", v, len(c.cps)),
			vipTimeout, append(c.apiServers(), ds...), func(ctx context.Context) error { return c.vipRouteComplete(ctx, v) })
		if err != nil {
			return err
		}
		url := controlplane.URL(v, controlplane.APIServerPort) + "/readyz"
		err = c.procs.waitUntil(ctx, fmt.Sprintf("waiting for the API server VIP %s through the TOR", url), vipTimeout,
			append(c.apiServers(), ds...), func(ctx context.Context) error { return httpOK(ctx, hc, url) })
		if err != nil {
			return err
		}
	}
	return nil
}

// vipRouteComplete reads the TOR's kernel route for v and fails unless
// its next hops are every control-plane node's VIP address of v's family.
func (c *cluster) vipRouteComplete(ctx context.Context, v netip.Addr) error {
	fam := map[bool]string{false: "-4", true: "-6"}[v.Is6()]
	out, err := c.runner.Run(ctx, run.Cmd{Name: "ip", Args: []string{"-n", c.p.tor.ns, "-j", fam, "route", "show", netip.PrefixFrom(v, v.BitLen()).String()}})
	if err != nil {
		return fmt.Errorf("ip route show in %s: %w", c.p.tor.ns, err)
	}
	routes, err := iproute.Parse(out)
	if err != nil {
		return err
	}
	var got []netip.Addr
	for _, r := range routes {
		got = append(got, r.Gateways()...)
	}
	for _, m := range c.cps {
		for _, a := range m.vipAddrs {
			if a.Addr().Is6() == v.Is6() && !slices.Contains(got, a.Addr()) {
				return fmt.Errorf("the TOR routes %s via %v, not yet via %s (%s)", v, got, a.Addr(), m.name)
			}
		}
	}
	return nil
}
