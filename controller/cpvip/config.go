package cpvip

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"time"

	"github.com/lblab/lblab/controller/speaker/bgp"
)

// Mode is how the VIPs reach the clients.
type Mode string

const (
	// ModeBGP announces the VIPs to the TOR by BGP while the local
	// kube-apiserver is ready (the default).
	ModeBGP Mode = "bgp"
	// ModeL2 has one ready node answer ARP and NDP for the VIPs on the
	// segment.
	ModeL2 Mode = "l2"
)

// Config is the speaker's whole configuration: static, from flags, so that
// it works while the Kubernetes API is down.
type Config struct {
	// Mode is ModeBGP (the default) or ModeL2.
	Mode Mode
	// VIPs are announced as /32 and /128 to the peers of their family
	// (BGP), or answered for on the segment (L2).
	VIPs []netip.Addr

	// Peers are the static neighbours (the TOR, one per family), in BGP
	// mode. A peer without a Name gets "tor-<address>"; without a
	// LocalASN, ASN.
	Peers []bgp.Peer
	// ASN is this speaker's AS; RouterID its BGP identifier (IPv4). BGP
	// mode only.
	ASN      uint32
	RouterID netip.Addr

	// Self is this node's name and Members the other control-plane nodes,
	// in L2 mode: every speaker probes them all and computes the same
	// owner of the VIPs (Owner). Self is probed at ReadyzURL.
	Self    string
	Members []Member
	// Interface is where the owner answers ARP/NDP in L2 mode; empty: the
	// interface whose subnet holds the first VIP.
	Interface string

	// ReadyzURL is the local kube-apiserver's /readyz, e.g.
	// https://127.0.0.1:6443/readyz; CAFile is the CA that signed the
	// kube-apiservers' serving certificates (required for https).
	ReadyzURL string
	CAFile    string
	// Interval is the probe period (default 200ms); Timeout bounds each
	// probe (default 500ms).
	Interval time.Duration
	Timeout  time.Duration
	// Fall consecutive failed probes withdraw the VIPs, Rise consecutive
	// ready ones announce them (defaults 2 and 2).
	Fall, Rise int
	// GoBGPAPI is where GoBGP's gRPC API listens, for the gobgp CLI; empty
	// serves none. BGP mode only.
	GoBGPAPI string
	// Logger receives the transitions; nil discards them.
	Logger *slog.Logger
}

// Member is another control-plane node in L2 mode: its name, as its own
// speaker's Self, and its kube-apiserver's /readyz.
type Member struct {
	Name, ReadyzURL string
}

// Defaults of the zero fields.
const (
	DefaultInterval = 200 * time.Millisecond
	DefaultTimeout  = 500 * time.Millisecond
	DefaultFall     = 2
	DefaultRise     = 2
	// DefaultGoBGPAPI is where the VIP speaker's GoBGP API listens, beside
	// the node's LB speaker's (127.0.0.1:50051).
	DefaultGoBGPAPI = "127.0.0.1:50052"
)

// withDefaults fills the zero fields and the peers' names and local AS.
func (c Config) withDefaults() Config {
	if c.Mode == "" {
		c.Mode = ModeBGP
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Fall == 0 {
		c.Fall = DefaultFall
	}
	if c.Rise == 0 {
		c.Rise = DefaultRise
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	peers := make([]bgp.Peer, len(c.Peers))
	for i, p := range c.Peers {
		p.Address, p.LocalAddress = p.Address.Unmap(), p.LocalAddress.Unmap()
		if p.Name == "" {
			p.Name = "tor-" + p.Address.String()
		}
		if p.LocalASN == 0 {
			p.LocalASN = c.ASN
		}
		peers[i] = p
	}
	c.Peers = peers
	vips := make([]netip.Addr, len(c.VIPs))
	for i, v := range c.VIPs {
		vips[i] = v.Unmap()
	}
	c.VIPs = vips
	return c
}

// validate checks a Config with its defaults; its errors name the flag of
// `lblab cp-speaker` to fix.
func (c Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.VIPs) == 0 {
		bad("no VIP: pass --vip ADDR (an IPv4 and/or an IPv6 address)")
	}
	seen := map[netip.Addr]bool{}
	for _, v := range c.VIPs {
		switch {
		case !v.IsValid() || v.IsUnspecified() || v.IsMulticast() || v.Zone() != "" || v == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
			bad("--vip %s is not a unicast address", v)
		case seen[v]:
			bad("--vip %s is given twice", v)
		case c.Mode == ModeBGP && !hasPeerOf(c.Peers, v):
			bad("--vip %s is %s but no --peer is: pass the TOR's %s address as --peer too", v, familyName(v), familyName(v))
		}
		seen[v] = true
	}
	switch c.Mode {
	case ModeBGP:
		c.validateBGP(bad)
	case ModeL2:
		c.validateL2(bad)
	default:
		bad("--mode %q is neither %s nor %s", c.Mode, ModeBGP, ModeL2)
	}
	scheme, ok := httpScheme(c.ReadyzURL)
	if !ok {
		bad("--readyz %q is not an http(s) URL: pass the local kube-apiserver's, e.g. https://127.0.0.1:6443/readyz", c.ReadyzURL)
	}
	https := scheme == "https"
	if c.Mode == ModeL2 {
		for _, m := range c.Members {
			scheme, ok := httpScheme(m.ReadyzURL)
			if !ok {
				bad("--member %s: %q is not an http(s) URL: pass NAME=URL with the node's kube-apiserver's /readyz as URL, e.g. %[1]s=https://10.89.0.11:6443/readyz", m.Name, m.ReadyzURL)
			}
			https = https || scheme == "https"
		}
	}
	if https && c.CAFile == "" {
		bad("--ca is not set: pass the CA file that signed the kube-apiserver's serving certificate")
	}
	if c.Interval < 0 {
		bad("--interval %s is negative", c.Interval)
	}
	if c.Timeout < 0 {
		bad("--timeout %s is negative", c.Timeout)
	}
	if c.Fall < 1 {
		bad("--fall %d must be at least 1", c.Fall)
	}
	if c.Rise < 1 {
		bad("--rise %d must be at least 1", c.Rise)
	}
	return errors.Join(errs...)
}

func (c Config) validateBGP(bad func(string, ...any)) {
	if len(c.Peers) == 0 {
		bad("no peer: pass --peer ADDR (the TOR), one for each family of the --vip addresses")
	}
	for _, p := range c.Peers {
		switch {
		case !p.Address.IsValid() || p.Address.IsUnspecified() || p.Address.IsMulticast():
			bad("--peer %s is not a unicast address", p.Address)
		case p.ASN == 0:
			bad("--peer-asn is not set: pass the AS of the peer %s", p.Address)
		case p.LocalAddress.IsValid() && p.LocalAddress.Is4() != p.Address.Is4():
			bad("--source %s is not of the family of --peer %s", p.LocalAddress, p.Address)
		case p.HoldTime != 0 && (p.HoldTime < 3*time.Second || p.HoldTime%time.Second != 0):
			bad("--hold-time %s must be whole seconds, at least 3s", p.HoldTime)
		case p.KeepaliveTime%time.Second != 0 || p.KeepaliveTime < 0 || p.HoldTime != 0 && p.KeepaliveTime >= p.HoldTime:
			bad("--keepalive %s must be whole seconds, below --hold-time %s", p.KeepaliveTime, p.HoldTime)
		}
	}
	if c.ASN == 0 {
		bad("--asn is not set: pass this speaker's AS")
	}
	if !c.RouterID.Is4() {
		bad("--router-id %s is not an IPv4 address: pass one, or an IPv4 --source (it becomes the router ID)", c.RouterID)
	}
	if c.Self != "" {
		bad("--name is for --mode l2")
	}
	if len(c.Members) > 0 {
		bad("--member is for --mode l2")
	}
	if c.Interface != "" {
		bad("--interface is for --mode l2")
	}
}

func (c Config) validateL2(bad func(string, ...any)) {
	if len(c.Peers) > 0 {
		bad("--peer is for --mode bgp")
	}
	if c.Self == "" {
		bad("--name is not set: pass this node's name, as the other nodes' --member give it")
	}
	seen := map[string]bool{}
	for _, m := range c.Members {
		switch {
		case m.Name == "":
			bad("--member =%s has no name: pass NAME=URL", m.ReadyzURL)
		case m.Name == c.Self:
			bad("--member %s is this node (--name): pass only the other control-plane nodes", m.Name)
		case seen[m.Name]:
			bad("--member %s is given twice", m.Name)
		}
		seen[m.Name] = true
	}
}

// httpScheme returns the scheme of an http(s) URL with a host; ok is
// false for any other.
func httpScheme(rawURL string) (scheme string, ok bool) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	return u.Scheme, true
}

func hasPeerOf(peers []bgp.Peer, a netip.Addr) bool {
	for _, p := range peers {
		if p.Address.IsValid() && p.Address.Is4() == a.Is4() {
			return true
		}
	}
	return false
}

func familyName(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}
