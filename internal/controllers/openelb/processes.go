package openelb

import (
	"fmt"

	"github.com/lblab/lblab/internal/controllers"
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/topology"
)

// ServiceAccount is the manager's, in Namespace (upstream's Deployment
// runs it as openelb-admission, the account its RBAC binds).
const ServiceAccount = "openelb-admission"

// Ports of the manager in a node's namespace: its webhook server (which
// cannot be turned off; upstream serves it on 443) and its GoBGP gRPC API
// (upstream's :50051, here on loopback only).
const (
	WebhookPort = 19443
	APIAddress  = "127.0.0.1:50051"
)

// StartExits: OpenELB v0.5.0's manager gets its keepalived DaemonSet and
// creates it when missing, and exits when the create fails; managers
// started together race, and the losers exit once (restarted, they find
// it). Upstream's Deployment runs one manager and would restart a loser.
const StartExits = 2

// Processes are an OpenELB manager on every node, run from bins with
// $KUBECONFIG, each with NODE_NAME (its node: the router ID, the
// BgpPeer's node selector, its leader-election identity) and a webhook
// certificate of its own.
func Processes(bins components.Binaries, t *topology.Topology, nodes []controllers.Node) ([]controllers.Process, error) {
	if err := Check(t); err != nil {
		return nil, err
	}
	var out []controllers.Process
	for _, n := range nodes {
		if !n.IP.Is4() {
			return nil, fmt.Errorf("node %s has no IPv4 address for OpenELB's BGP", n.Name)
		}
		out = append(out, controllers.Process{Name: "openelb manager on " + n.Name, File: n.Name + "-openelb-manager", Node: n.Name,
			Namespace: Namespace, ServiceAccount: ServiceAccount,
			Argv: []string{bins.Path(components.OpenELBManager), "--api-hosts=" + APIAddress,
				fmt.Sprintf("--webhook-port=%d", WebhookPort), "--metrics-addr=0"},
			Env:     []string{"OPENELB_NAMESPACE=" + Namespace, "NODE_NAME=" + n.Name},
			Prepare: WebhookCert, StartExits: StartExits})
	}
	return out, nil
}
