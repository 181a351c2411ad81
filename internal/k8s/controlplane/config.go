package controlplane

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/k8s/pki"
)

// Ports inside the control-plane node.
const (
	APIServerPort         = 6443
	EtcdClientPort        = 2379
	EtcdPeerPort          = 2380
	ControllerManagerPort = 10257
	SchedulerPort         = 10259
)

// ServiceAccountIssuer is the issuer (and audience) of ServiceAccount
// tokens, as kubeadm sets it.
const ServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// Config is everything the control plane's command lines depend on.
type Config struct {
	ClusterName string
	Bins        components.Binaries
	PKI         pki.Files
	// EtcdDataDir is etcd's data directory (under the lab's state dir).
	EtcdDataDir string
	// AdvertiseAddress is the control-plane node's primary address.
	AdvertiseAddress netip.Addr
	// DualStack listens on both families.
	DualStack bool
	// ServiceCIDRs and PodCIDRs in family order (IPv4 first).
	ServiceCIDRs, PodCIDRs []netip.Prefix
	// Members are every control-plane node when there are several (then
	// etcd runs as a cluster of them and MemberName is this node's);
	// empty for a single control-plane node.
	Members    []Member
	MemberName string
	// VIPs are the API server VIP (controlPlane), in family order: the
	// address every client outside the control plane uses. Empty: they use
	// AdvertiseAddress.
	VIPs []netip.Addr
}

// Loopback is the address components use to reach etcd and the
// kube-apiserver inside the control-plane node.
func (c Config) Loopback() netip.Addr {
	if c.AdvertiseAddress.Is6() {
		return netip.IPv6Loopback()
	}
	return netip.MustParseAddr("127.0.0.1")
}

// LocalServer is the kube-apiserver's URL inside the control-plane node.
func (c Config) LocalServer() string { return URL(c.Loopback(), APIServerPort) }

// Server is the kube-apiserver's URL for the nodes and the host: the VIP
// when the lab has one.
func (c Config) Server() string {
	if len(c.VIPs) > 0 {
		return URL(c.VIPs[0], APIServerPort)
	}
	return c.NodeServer()
}

// NodeServer is this control-plane node's own kube-apiserver URL on the
// fabric.
func (c Config) NodeServer() string { return URL(c.AdvertiseAddress, APIServerPort) }

// URL is https://addr:port with IPv6 brackets.
func URL(a netip.Addr, port int) string {
	return "https://" + netip.AddrPortFrom(a, uint16(port)).String()
}

func (c Config) etcdURL(port int) string {
	return "http://" + netip.AddrPortFrom(c.Loopback(), uint16(port)).String()
}

// bindAll is the kube-apiserver's bind address: every address of the
// control-plane node (its namespace holds only lab addresses).
func (c Config) bindAll() string {
	if c.DualStack || c.AdvertiseAddress.Is6() {
		return "::"
	}
	return "0.0.0.0"
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// Validate checks what the components would reject, with the topology
// field to fix.
func (c Config) Validate() error {
	if !c.AdvertiseAddress.IsValid() {
		return fmt.Errorf("the control-plane node has no address")
	}
	if len(c.ServiceCIDRs) == 0 || len(c.PodCIDRs) == 0 {
		return fmt.Errorf("network: the lab needs a Service subnet and a pod subnet")
	}
	for _, p := range c.PodCIDRs {
		mask := nodeMask(p)
		if p.Bits() >= mask || mask-p.Bits() > 16 {
			field := "ipv4PodSubnet"
			if p.Addr().Is6() {
				field = "ipv6PodSubnet"
			}
			return fmt.Errorf("network.%s: %s does not fit per-node /%d subnets (need a prefix between /%d and /%d)",
				field, p, mask, mask-16, mask-1)
		}
	}
	return nil
}

// nodeMask is the size of each node's pod subnet.
func nodeMask(p netip.Prefix) int {
	if p.Addr().Is6() {
		return 64
	}
	return 24
}

func itoa(i int) string { return strconv.Itoa(i) }
