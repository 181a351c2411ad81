package kubevip

import (
	"fmt"
	"net/netip"

	"github.com/lblab/lblab/internal/controllers"
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/topology"
)

// ServiceAccounts of the upstream manifests, in Namespace.
const (
	KubeVIPServiceAccount       = "kube-vip"
	CloudProviderServiceAccount = "kube-vip-cloud-controller"
)

// MetricsPort is kube-vip's Prometheus port on the node's address.
const MetricsPort = 2112

// Processes are the cloud provider on the control plane (out of cluster,
// no leader election, no serving port) and kube-vip on every node. Both
// read $HOME/.kube/config (the cloud provider's framework also takes
// --kubeconfig).
func Processes(bins components.Binaries, t *topology.Topology, nodes []controllers.Node, tor netip.Addr) ([]controllers.Process, error) {
	if err := Check(t); err != nil {
		return nil, err
	}
	out := []controllers.Process{{Name: "kube-vip-cloud-provider", File: "kube-vip-cloud-provider",
		Namespace: Namespace, ServiceAccount: CloudProviderServiceAccount, KubeconfigInHome: true, KubeconfigFlag: "--kubeconfig=",
		Argv: []string{bins.Path(components.KubeVIPCloudProvider), "--OutSideCluster", "--secure-port=0", "--leader-elect=false"},
		Env:  []string{"KUBEVIP_NAMESPACE=" + Namespace, "KUBEVIP_CONFIG_MAP=" + ConfigMap}}}
	for _, n := range nodes {
		if !n.IP.Is4() {
			return nil, fmt.Errorf("node %s has no IPv4 address for kube-vip's BGP", n.Name)
		}
		out = append(out, controllers.Process{Name: "kube-vip on " + n.Name, File: n.Name + "-kube-vip", Node: n.Name,
			Namespace: Namespace, ServiceAccount: KubeVIPServiceAccount, KubeconfigInHome: true,
			Argv: []string{bins.Path(components.KubeVIP), "manager"}, Env: env(t, n.IP, n.Name, tor)})
	}
	return out, nil
}
