package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/vishvananda/netlink"
	"k8s.io/apimachinery/pkg/types"
)

// cniTimeout bounds one ADD or DEL of the whole plugin list.
const cniTimeout = time.Minute

// cniNetwork is the PluginNetwork of CNI mode: the agent creates each pod's
// namespace, as a runtime creates the sandbox, and the plugins of a
// network configuration list wire it (cilium-cni, or the reference plugins
// in tests). It runs in the node's namespace, which is where plugins run;
// they inherit the agent's environment (CILIUM_SOCK, say).
type cniNetwork struct {
	lab      string
	cni      libcni.CNI
	list     *libcni.NetworkConfigList
	cacheDir string
}

// NewCNINetwork returns the Network of CNI mode for cfg.Lab's pods, with
// the plugins and cache of cfg.CNI (the cache defaults to <run-dir>/cni).
func NewCNINetwork(cfg Config) (PluginNetwork, error) {
	list, err := cfg.CNI.load()
	if err != nil {
		return nil, err
	}
	if list == nil {
		return nil, fmt.Errorf("--cni-conf is required for pod networks from CNI plugins")
	}
	dir := cfg.CNI.cacheDir(cfg.RunDir)
	return &cniNetwork{lab: cfg.Lab, cni: libcni.NewCNIConfigWithCacheDir(cfg.CNI.BinDirs, dir, nil),
		list: list, cacheDir: dir}, nil
}

func (n *cniNetwork) Init() error {
	if err := os.MkdirAll(n.cacheDir, 0o700); err != nil {
		return fmt.Errorf("failed to create the CNI cache dir: %w", err)
	}
	return nil
}

func (n *cniNetwork) Setup(p PodNetwork) error {
	_, err := n.Attach(p)
	return err
}

// Attach returns the cached result of a pod already added (an adopted pod:
// ADD is not repeated). Otherwise it creates the namespace and runs ADD; a
// namespace or cache entry left by an ADD that did not finish is cleared
// with DEL first, and a failed ADD is undone with DEL, as the kubelet tears
// down a sandbox whose network failed.
func (n *cniNetwork) Attach(p PodNetwork) (PodNetwork, error) {
	rt := runtimeConf(p)
	_, statErr := os.Stat(rt.NetNS)
	cached, err := n.cni.GetNetworkListCachedResult(n.list, rt)
	if err == nil && cached != nil && statErr == nil {
		return applyResult(p, cached)
	}
	ns, err := ensurePodNetns(p.Netns, setupPodNetns)
	if err != nil {
		return p, err
	}
	ns.Close()
	if statErr == nil || cached != nil {
		if err := n.del(rt); err != nil {
			return p, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), cniTimeout)
	defer cancel()
	res, err := n.cni.AddNetworkList(ctx, n.list, rt)
	if err == nil {
		var out PodNetwork
		if out, err = applyResult(p, res); err == nil {
			return out, nil
		}
	}
	err = fmt.Errorf("failed to add pod %s/%s to CNI network %s: %w", p.PodNamespace, p.PodName, n.list.Name, err)
	return p, errors.Join(err, n.del(rt))
}

// setupPodNetns prepares a new pod namespace for the plugins: the pod
// sysctls, and lo up, which runtimes do whether or not the list has the
// loopback plugin.
func setupPodNetns() error {
	if err := writeSysctls(podSysctls); err != nil {
		return err
	}
	lo, err := netlink.LinkByName("lo")
	if err == nil {
		err = netlink.LinkSetUp(lo)
	}
	if err != nil {
		return fmt.Errorf("failed to bring up lo: %w", err)
	}
	return nil
}

// Teardown runs DEL, then deletes the namespace. DEL is idempotent: a
// missing cache entry or namespace is fine. A pod with neither was never
// attached (its image is unsupported, say) or is torn down already, so the
// plugins are not asked, as a runtime does not tear down a sandbox it
// never created.
func (n *cniNetwork) Teardown(p PodNetwork) error {
	rt := runtimeConf(p)
	if _, err := os.Stat(rt.NetNS); os.IsNotExist(err) {
		if res, _ := n.cni.GetNetworkListCachedResult(n.list, rt); res == nil {
			return nil
		}
	}
	if err := n.del(rt); err != nil {
		return err
	}
	return deleteNetns(p.Netns)
}

func (n *cniNetwork) del(rt *libcni.RuntimeConf) error {
	ctx, cancel := context.WithTimeout(context.Background(), cniTimeout)
	defer cancel()
	if err := n.cni.DelNetworkList(ctx, n.list, rt); err != nil {
		return fmt.Errorf("failed to delete pod network %s (CNI network %s): %w", filepath.Base(rt.NetNS), n.list.Name, err)
	}
	return nil
}

// PodNetworks lists the attachments in the cache: this node's pods of the
// lab on this network, each with what DEL needs.
func (n *cniNetwork) PodNetworks() ([]PodNetwork, error) {
	atts, err := n.cni.GetCachedAttachments("")
	if err != nil {
		return nil, fmt.Errorf("failed to list cached CNI attachments: %w", err)
	}
	prefix := filepath.Join(netnsDir, podNetNSPrefix(n.lab))
	var out []PodNetwork
	for _, a := range atts {
		if a.Network != n.list.Name || a.IfName != podIfName || !strings.HasPrefix(a.NetNS, prefix) {
			continue
		}
		p := PodNetwork{Netns: filepath.Base(a.NetNS), PodUID: types.UID(a.ContainerID)}
		for _, kv := range a.CniArgs {
			switch kv[0] {
			case "K8S_POD_NAMESPACE":
				p.PodNamespace = kv[1]
			case "K8S_POD_NAME":
				p.PodName = kv[1]
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// SyncRoutes does nothing: the plugin owns routing to pods.
func (n *cniNetwork) SyncRoutes([]Route) error { return nil }

// SyncMasquerade does nothing: the plugin owns masquerading.
func (n *cniNetwork) SyncMasquerade(_, _ []netip.Prefix) error { return nil }
