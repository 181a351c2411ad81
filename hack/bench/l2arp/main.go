// Command l2arp-bench measures the L2 mode of lblab's speakers in a running
// netns lab: for Services created one at a time (selecting the topology's
// first LoadBalancer workload), the time from the create request to the
// LB IP in the Service's status and to the first answer to an ARP request
// (IPv4) or Neighbor Solicitation (IPv6) for it, asked on the TOR's
// segment from inside the TOR's namespace (internal/l2probe, one request
// every -wait); then, per Service, that the node that answered is the one
// its L2Owner event names, and the time from the delete to no answer.
//
//	go run ./hack/bench/l2arp -lab bench-l2 -services 20
//
// Services are created one at a time and kept, -keep of them (so they get
// different IPs and owners); then they are deleted one at a time, each
// until its IP is unanswered, because an L2 pool is small (16 addresses in
// the bundled topologies, one of them the workload's). It prints figures
// and asserts nothing.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lblab/lblab/internal/l2probe"
	"github.com/lblab/lblab/internal/lab"
)

func main() {
	labName := flag.String("lab", "", "name of a running netns lab in L2 mode")
	services := flag.Int("services", 20, "Services to create, one at a time")
	keep := flag.Int("keep", 10, "Services kept before they are deleted (an L2 pool is small)")
	base := flag.String("service", "default/web", "the Service whose selector, ports and families the new ones copy")
	iface := flag.String("iface", "eth0", "the TOR's interface on the nodes' segment")
	wait := flag.Duration("wait", 10*time.Millisecond, "how long each ARP/NDP request waits for answers (the resolution)")
	flag.Parse()
	if *labName == "" {
		fmt.Fprintln(os.Stderr, "usage: l2arp-bench -lab NAME [-services N] [-keep N] [-service NS/NAME] [-iface eth0] [-wait 10ms]")
		os.Exit(2)
	}
	b, err := newBench(*labName, *iface, *wait)
	if err == nil {
		err = b.run(context.Background(), *base, *services, max(*keep, 1))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(1)
	}
}

type bench struct {
	lab, tor, iface string
	wait            time.Duration
	cs              kubernetes.Interface
	macNode         map[string]string // the nodes' MACs on the segment
}

func newBench(labName, iface string, wait time.Duration) (*bench, error) {
	kc := filepath.Join(lab.StateDir(labName), "kubeconfig")
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		return nil, fmt.Errorf("failed to load %s (is lab %s up?): %w", kc, labName, err)
	}
	cfg.QPS, cfg.Burst = -1, 0
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &bench{lab: labName, tor: "/run/netns/" + labName + "_tor", iface: iface, wait: wait, cs: cs, macNode: map[string]string{}}, nil
}

// answers asks the segment once who answers for ip.
func (b *bench) answers(ctx context.Context, ip netip.Addr) ([]string, error) {
	macs, err := l2probe.Probe(ctx, b.tor, b.iface, ip, b.wait)
	var out []string
	for _, m := range macs {
		out = append(out, m.String())
	}
	return out, err
}

// learnNodes maps every node's MAC on the segment by asking for its
// InternalIPs.
func (b *bench) learnNodes(ctx context.Context) error {
	nodes, err := b.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, n := range nodes.Items {
		for _, a := range n.Status.Addresses {
			ip, err := netip.ParseAddr(a.Address)
			if a.Type != corev1.NodeInternalIP || err != nil {
				continue
			}
			macs, err := l2probe.Probe(ctx, b.tor, b.iface, ip, 100*time.Millisecond)
			if err != nil {
				return fmt.Errorf("asking for node %s (%s): %w", n.Name, ip, err)
			}
			for _, m := range macs {
				b.macNode[m.String()] = n.Name
			}
		}
	}
	return nil
}
