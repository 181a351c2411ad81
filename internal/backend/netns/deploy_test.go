package netns

import (
	"strings"
	"testing"
)

// The controller's and speakers' command lines are the contract with
// `lblab controller` and `lblab speaker`. Beside MetalLB (lb-class), lblab
// handles its class only, moves its ports off MetalLB's and speaks from
// each node's second address.
func TestLBDaemons(t *testing.T) {
	for _, tc := range []struct {
		topo, class string
		want        func(kc string) []string
	}{
		{"bgp-ecmp", "", func(kc string) []string {
			return []string{
				"k8s-unit_control-plane controller: /usr/bin/lblab controller --kubeconfig=" + kc + "/lblab-controller.conf --metrics-addr=:7472 --identity=netns/k8s-unit --lease-duration=6s --renew-deadline=4s --retry-period=1s",
				"k8s-unit_control-plane speaker: /usr/bin/lblab speaker --node=control-plane --kubeconfig=" + kc + "/lblab-speaker-control-plane.conf --metrics-addr=:7473 --gobgp-api=127.0.0.1:50051",
				"k8s-unit_node1 speaker: /usr/bin/lblab speaker --node=node1 --kubeconfig=" + kc + "/lblab-speaker-node1.conf --metrics-addr=:7473 --gobgp-api=127.0.0.1:50051",
				"k8s-unit_node2 speaker: /usr/bin/lblab speaker --node=node2 --kubeconfig=" + kc + "/lblab-speaker-node2.conf --metrics-addr=:7473 --gobgp-api=127.0.0.1:50051",
				"k8s-unit_node3 speaker: /usr/bin/lblab speaker --node=node3 --kubeconfig=" + kc + "/lblab-speaker-node3.conf --metrics-addr=:7473 --gobgp-api=127.0.0.1:50051",
			}
		}},
		{"lb-class", "lblab.dev/lb", func(kc string) []string {
			return []string{
				"k8s-unit_control-plane controller: /usr/bin/lblab controller --kubeconfig=" + kc + "/lblab-controller.conf --metrics-addr=:7482 --identity=netns/k8s-unit --lease-duration=6s --renew-deadline=4s --retry-period=1s --handle-classless=false",
				"k8s-unit_control-plane speaker: /usr/bin/lblab speaker --node=control-plane --kubeconfig=" + kc + "/lblab-speaker-control-plane.conf --metrics-addr=:7483 --gobgp-api=127.0.0.1:50051 --bgp-source-address=10.89.7.14",
				"k8s-unit_node1 speaker: /usr/bin/lblab speaker --node=node1 --kubeconfig=" + kc + "/lblab-speaker-node1.conf --metrics-addr=:7483 --gobgp-api=127.0.0.1:50051 --bgp-source-address=10.89.7.15",
				"k8s-unit_node2 speaker: /usr/bin/lblab speaker --node=node2 --kubeconfig=" + kc + "/lblab-speaker-node2.conf --metrics-addr=:7483 --gobgp-api=127.0.0.1:50051 --bgp-source-address=10.89.7.16",
				"k8s-unit_node3 speaker: /usr/bin/lblab speaker --node=node3 --kubeconfig=" + kc + "/lblab-speaker-node3.conf --metrics-addr=:7483 --gobgp-api=127.0.0.1:50051 --bgp-source-address=10.89.7.17",
			}
		}},
	} {
		c := testCluster(t, tc.topo, false)
		var got []string
		for _, d := range lbDaemons("k8s-unit", "/usr/bin/lblab", c.y, c.cps, c.p.nodes, tc.class) {
			got = append(got, d.ns+" "+d.sa+": "+strings.Join(d.argv, " "))
		}
		if want := tc.want(c.y.kubeconfigDir()); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: got:\n%s\nwant:\n%s", tc.topo, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// With three control-plane nodes, each runs a controller with an identity
// of its own; one leads.
func TestLBDaemonsHA(t *testing.T) {
	c := testCluster(t, "ha-control-plane", true)
	var got []string
	for _, d := range lbDaemons("k8s-unit", "/usr/bin/lblab", c.y, c.cps, c.p.nodes, "") {
		if d.identity != "" {
			got = append(got, d.ns+" "+d.file+" "+d.identity)
		}
	}
	want := []string{
		"k8s-unit_control-plane control-plane-lblab-controller netns/k8s-unit/control-plane",
		"k8s-unit_control-plane2 control-plane2-lblab-controller netns/k8s-unit/control-plane2",
		"k8s-unit_control-plane3 control-plane3-lblab-controller netns/k8s-unit/control-plane3",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("controllers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
