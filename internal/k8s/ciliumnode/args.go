package ciliumnode

import (
	"fmt"
	"net/netip"
	"strconv"
)

// Paths inside the agent's mount namespace (Confine makes them).
const (
	RunDir     = "/run/cilium"
	SocketPath = RunDir + "/cilium.sock"
	// StateDir is in the node's run directory, on the machine's file
	// system: it outlives the agent, which restores its endpoints from it.
	StateDir   = RunDir + "/state"
	CgroupRoot = RunDir + "/cgroupv2"
	BPFRoot    = "/sys/fs/bpf"
)

// Config is one node's agent.
type Config struct {
	Agent      string // the cilium-agent binary
	Kubeconfig string
	LibDir     string // holds bpf/
	Device     string // the node's fabric interface
	// PodCIDRs are the cluster's pod CIDRs, one per family: the families
	// the agent enables and the ranges it routes natively.
	PodCIDRs []netip.Prefix
}

// healthPort is the agent's health port on the node's localhost (Cilium's
// default; each node has its own network namespace).
const healthPort = 9879

// Validate reports a configuration the agent would refuse.
func (c Config) Validate() error {
	for _, f := range []struct{ name, value string }{
		{"the agent binary", c.Agent}, {"the kubeconfig", c.Kubeconfig}, {"the lib dir", c.LibDir},
		{"the device", c.Device},
	} {
		if f.value == "" {
			return fmt.Errorf("cilium node: %s is not set", f.name)
		}
	}
	if len(c.PodCIDRs) == 0 {
		return fmt.Errorf("cilium node: no pod CIDR")
	}
	seen := map[bool]bool{}
	for _, p := range c.PodCIDRs {
		if seen[p.Addr().Is6()] {
			return fmt.Errorf("cilium node: two pod CIDRs of one family (%v)", c.PodCIDRs)
		}
		seen[p.Addr().Is6()] = true
	}
	return nil
}

// Map sizes. Cilium sizes its maps from the machine's memory (0.25% of it
// by default: 160 MiB per agent here for IPv4 alone), which a lab of
// several agents on one machine cannot afford; these fixed sizes are far
// beyond what a lab's few Services and flows need.
const (
	ctTCPMax = 65536
	ctAnyMax = 32768
	natMax   = 65536
	neighMax = 65536
	lbMax    = 16384
	smallMax = 16384 // socket rev-NAT, auth and policy stats maps
)

// Args is the agent's command line.
func Args(c Config) []string {
	has := map[bool]netip.Prefix{}
	for _, p := range c.PodCIDRs {
		has[p.Addr().Is6()] = p.Masked()
	}
	_, v4 := has[false]
	_, v6 := has[true]
	argv := []string{c.Agent,
		"--k8s-kubeconfig-path=" + c.Kubeconfig,
		"--lib-dir=" + c.LibDir,
		"--state-dir=" + StateDir,
		"--socket-path=" + SocketPath,
		"--bpf-root=" + BPFRoot,
		"--cgroup-root=" + CgroupRoot,
		"--devices=" + c.Device,
		"--enable-ipv4=" + strconv.FormatBool(v4),
		"--enable-ipv6=" + strconv.FormatBool(v6),
		"--ipam=kubernetes",
		"--routing-mode=native",
		"--auto-direct-node-routes=true",
		"--kube-proxy-replacement=true",
		"--identity-allocation-mode=crd",
		"--cni-exclusive=false",
		// lblab's controller and speakers allocate and announce the LB IPs,
		// as with every data plane.
		"--enable-lb-ipam=false",
		"--enable-bgp-control-plane=false",
		"--enable-l7-proxy=false",
		"--enable-hubble=false",
		"--enable-health-checking=false",
		"--enable-endpoint-health-checking=false",
		"--agent-health-port=" + strconv.Itoa(healthPort),
		"--bpf-map-dynamic-size-ratio=0",
		"--bpf-ct-global-tcp-max=" + strconv.Itoa(ctTCPMax),
		"--bpf-ct-global-any-max=" + strconv.Itoa(ctAnyMax),
		"--bpf-nat-global-max=" + strconv.Itoa(natMax),
		"--bpf-neigh-global-max=" + strconv.Itoa(neighMax),
		"--bpf-lb-map-max=" + strconv.Itoa(lbMax),
		"--bpf-sock-rev-map-max=" + strconv.Itoa(smallMax),
		"--bpf-auth-map-max=" + strconv.Itoa(smallMax),
		"--bpf-policy-stats-map-max=" + strconv.Itoa(smallMax),
	}
	if v4 {
		argv = append(argv, "--ipv4-native-routing-cidr="+has[false].String())
	}
	if v6 {
		argv = append(argv, "--ipv6-native-routing-cidr="+has[true].String())
	}
	return argv
}
