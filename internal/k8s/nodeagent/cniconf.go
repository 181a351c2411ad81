package nodeagent

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"
)

// CNIOptions have CNI plugins make the pod networks instead of the agent
// (NewCNINetwork), as a kubelet's container runtime does. Setting Conf
// turns that on.
type CNIOptions struct {
	Conf     string   // --cni-conf: the network configuration list (.conflist)
	BinDirs  []string // --cni-bin-dir: where its plugins are, searched in order
	CacheDir string   // --cni-cache-dir: libcni's cache of results; "" is <run-dir>/cni
}

// Enabled reports whether pod networks come from CNI plugins.
func (o CNIOptions) Enabled() bool { return o.Conf != "" }

// cacheDir is libcni's cache directory: never its default /var/lib/cni,
// which the lab's nodes would share.
func (o CNIOptions) cacheDir(runDir string) string {
	if o.CacheDir != "" {
		return o.CacheDir
	}
	return filepath.Join(runDir, "cni")
}

// load checks the CNI flags, naming the one at fault, and returns the
// network configuration list; nil when CNI is not enabled.
func (o CNIOptions) load() (*libcni.NetworkConfigList, error) {
	if !o.Enabled() {
		switch {
		case len(o.BinDirs) > 0:
			return nil, fmt.Errorf("--cni-bin-dir is only used with --cni-conf")
		case o.CacheDir != "":
			return nil, fmt.Errorf("--cni-cache-dir is only used with --cni-conf")
		}
		return nil, nil
	}
	if len(o.BinDirs) == 0 {
		return nil, fmt.Errorf("--cni-conf %s needs --cni-bin-dir, the directory of its plugins", o.Conf)
	}
	for _, d := range o.BinDirs {
		if !filepath.IsAbs(d) {
			return nil, fmt.Errorf("--cni-bin-dir %q: want an absolute path", d)
		}
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--cni-bin-dir %s is not a directory", d)
		}
	}
	if o.CacheDir != "" && !filepath.IsAbs(o.CacheDir) {
		return nil, fmt.Errorf("--cni-cache-dir %q: want an absolute directory", o.CacheDir)
	}
	list, err := libcni.NetworkConfFromFile(o.Conf)
	if err != nil {
		return nil, fmt.Errorf("--cni-conf %s is not a usable network configuration list (.conflist): %w", o.Conf, err)
	}
	for _, p := range list.Plugins {
		if _, err := invoke.FindInPath(p.Network.Type, o.BinDirs); err != nil {
			return nil, fmt.Errorf("--cni-conf %s: plugin %q is not in any --cni-bin-dir (%s)",
				o.Conf, p.Network.Type, strings.Join(o.BinDirs, ", "))
		}
	}
	return list, nil
}

// podIfName is the pod's interface, as the kubelet names it.
const podIfName = "eth0"

// runtimeConf is what the plugins are told about a pod, as a kubelet's
// runtime tells them (IgnoreUnknown lets plugins that do not know the
// K8S_* arguments, such as host-local, accept them).
func runtimeConf(p PodNetwork) *libcni.RuntimeConf {
	uid := string(p.PodUID)
	return &libcni.RuntimeConf{
		ContainerID: uid,
		NetNS:       filepath.Join(netnsDir, p.Netns),
		IfName:      podIfName,
		Args: [][2]string{
			{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", p.PodNamespace},
			{"K8S_POD_NAME", p.PodName},
			{"K8S_POD_INFRA_CONTAINER_ID", uid},
			{"K8S_POD_UID", uid},
		},
	}
}

// applyResult fills p in from a plugin's result: the addresses of
// interfaces inside the pod (or of none in particular), the first of each
// family in the result's order; their gateways; and the last interface
// outside the pod as HostVeth (a bridge plugin lists its bridge first).
func applyResult(p PodNetwork, r types.Result) (PodNetwork, error) {
	res, err := types100.NewResultFromResult(r)
	if err != nil {
		return p, fmt.Errorf("failed to read the CNI result: %w", err)
	}
	p.IPs, p.Gateways = nil, nil
	for _, i := range res.Interfaces {
		if i != nil && i.Sandbox == "" && i.Name != "" {
			p.HostVeth = i.Name
		}
	}
	var have4, have6 bool
	for _, c := range res.IPs {
		if c == nil {
			continue
		}
		if c.Interface != nil && *c.Interface >= 0 && *c.Interface < len(res.Interfaces) &&
			res.Interfaces[*c.Interface] != nil && res.Interfaces[*c.Interface].Sandbox == "" {
			continue // on the node's side
		}
		a, ok := addrOfIP(c.Address.IP)
		if !ok || a.Is4() && have4 || a.Is6() && have6 {
			continue
		}
		have4, have6 = have4 || a.Is4(), have6 || a.Is6()
		p.IPs = append(p.IPs, a)
		if gw, ok := addrOfIP(c.Gateway); ok {
			p.Gateways = append(p.Gateways, gw)
		}
	}
	if len(p.IPs) == 0 {
		return p, fmt.Errorf("the CNI plugins assigned pod %s no IP address", p.Netns)
	}
	return p, nil
}

func addrOfIP(ip net.IP) (netip.Addr, bool) {
	a, ok := netip.AddrFromSlice(ip)
	return a.Unmap(), ok && a.IsValid() && !a.IsUnspecified()
}

// orderPodIPs puts the addresses of the node's primary family first,
// keeping the plugin's order otherwise.
func orderPodIPs(ips []netip.Addr, primaryV4 bool) []netip.Addr {
	out := make([]netip.Addr, 0, len(ips))
	for _, first := range []bool{true, false} {
		for _, a := range ips {
			if (a.Is4() == primaryV4) == first {
				out = append(out, a)
			}
		}
	}
	return out
}
