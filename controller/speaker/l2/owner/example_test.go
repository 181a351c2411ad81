package owner_test

import (
	"context"
	"fmt"
	"net/netip"

	"k8s.io/client-go/kubernetes"

	"github.com/lblab/lblab/controller/speaker/l2/owner"
)

func ExampleOwner() {
	live := []string{"lab-control-plane", "lab-worker", "lab-worker2", "lab-worker3", "lab-worker4"}
	ip := netip.MustParseAddr("172.18.255.200")
	n, _ := owner.Owner(ip, live)
	fmt.Println(n)
	// Without lab-worker4, another node takes its IP.
	n, _ = owner.Owner(ip, live[:4])
	fmt.Println(n)
	// Output:
	// lab-worker4
	// lab-worker
}

// A speaker's wiring: heartbeat, membership, and the owner per IP.
func ExampleMembership() {
	var client kubernetes.Interface // the speaker's clientset
	ctx, node := context.Background(), "lab-worker"
	cfg := owner.Config{}
	hb := owner.NewHeartbeat(client, node, cfg)
	go hb.Run(ctx)
	defer func() { _ = hb.Release(context.Background()) }()
	m := owner.NewMembership(client, cfg, func(live []string) {
		// requeue every L2 Service: owners may have moved
	})
	go func() { _ = m.Run(ctx) }()

	eligible := func(n string) bool { return true } // node selector, local endpoints
	if m.HasSynced() {
		var candidates []string
		for _, n := range m.Live() {
			if eligible(n) {
				candidates = append(candidates, n)
			}
		}
		if o, ok := owner.Owner(netip.MustParseAddr("172.18.255.200"), candidates); ok && o == node {
			fmt.Println("answer ARP for 172.18.255.200")
		}
	}
}
