package netns

import (
	"context"
	"encoding/json"
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
// lab with an API server VIP. In BGP mode it announces the VIP to the TOR
// from the node's VIP address while the node's own kube-apiserver answers
// /readyz; in L2 mode it probes every control-plane node's kube-apiserver,
// and the one owner they all agree on answers ARP/NDP for the VIP. It
// reads nothing from the cluster, so it works while the cluster is down.
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
			"--interval=" + strconv.Itoa(cp.Probe.IntervalMS) + "ms",
			"--timeout=" + strconv.Itoa(cp.Probe.TimeoutMS) + "ms",
			"--fall=" + strconv.Itoa(cp.Probe.Fall),
			"--rise=" + strconv.Itoa(cp.Probe.Rise),
		}
		for _, v := range c.p.vips {
			argv = append(argv, "--vip="+v.String())
		}
		if c.p.vipL2 {
			argv = append(argv, c.vipL2Args(m)...)
		} else {
			argv = append(argv, c.vipBGPArgs(i, m)...)
		}
		out = append(out, daemon{name: "VIP speaker on " + m.name, file: m.name + "-cp-speaker", ns: m.ns, argv: argv,
			stale: c.stale(c.files.CACert)})
	}
	return out
}

// vipBGPArgs are the BGP flags of the VIP speaker of m, the i-th
// control-plane node.
func (c *cluster) vipBGPArgs(i int, m host) []string {
	cp := c.l.Topology.ControlPlane
	argv := []string{
		"--asn=" + strconv.FormatUint(uint64(c.l.Topology.Controller.ASN), 10),
		"--peer-asn=" + strconv.FormatUint(uint64(c.l.Topology.TOR.ASN), 10),
		"--hold-time=" + strconv.Itoa(cp.HoldTime) + "s",
		"--keepalive=" + strconv.Itoa(cp.KeepaliveTime) + "s",
		"--gobgp-api=" + vipSpeakerGoBGPAPI,
	}
	if b := c.l.Topology.TOR.BFD; b != nil {
		argv = append(argv, "--bfd-interval="+strconv.Itoa(max(b.TransmitInterval, b.ReceiveInterval))+"ms",
			"--bfd-multiplier="+strconv.Itoa(b.DetectMultiplier))
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
	return argv
}

// vipL2Args are the L2 flags of m's VIP speaker: its name, and every other
// control-plane node's /readyz at its first fabric address (the serving
// certificate has them all).
func (c *cluster) vipL2Args(m host) []string {
	argv := []string{"--mode=l2", "--name=" + m.name}
	for _, o := range c.cps {
		if o.name != m.name {
			argv = append(argv, "--member="+o.name+"="+controlplane.URL(o.addrs[0].Addr(), controlplane.APIServerPort)+"/readyz")
		}
	}
	return argv
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
		what, ready := fmt.Sprintf("waiting for the TOR's route for the API server VIP %s to reach all %d control-plane nodes", v, len(c.cps)), c.vipRouteComplete
		if c.p.vipL2 {
			what, ready = fmt.Sprintf("waiting for one control-plane node to answer ARP/NDP for the API server VIP %s", v), c.vipAnsweredOnce
		}
		err := c.procs.waitUntil(ctx, what, vipTimeout, append(c.apiServers(), ds...), func(ctx context.Context) error { return ready(ctx, v) })
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

// vipAnsweredOnce asks the segment from the TOR who answers ARP/NDP for v
// and fails unless exactly one MAC does.
func (c *cluster) vipAnsweredOnce(ctx context.Context, v netip.Addr) error {
	self, err := selfBinary()
	if err != nil {
		return err
	}
	out, err := c.runner.Run(ctx, run.Cmd{Name: "ip", Args: []string{"netns", "exec", c.p.tor.ns, self, "probe", "l2", "--wait", "300ms", v.String()}})
	if err != nil {
		return fmt.Errorf("lblab probe l2 in %s: %w", c.p.tor.ns, err)
	}
	var answers map[string][]string
	if err := json.Unmarshal(out, &answers); err != nil {
		return fmt.Errorf("lblab probe l2 printed no JSON: %w", err)
	}
	if macs := answers[v.String()]; len(macs) != 1 {
		return fmt.Errorf("%d MACs answer for %s from the TOR (%v), want exactly one", len(macs), v, macs)
	}
	return nil
}
