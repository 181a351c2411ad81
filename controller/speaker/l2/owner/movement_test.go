package owner

import (
	"fmt"
	"slices"
	"testing"
)

// A node leaving moves only the IPs it owned, and a node joining takes IPs
// only for itself.
func TestMinimalMovement(t *testing.T) {
	ips := append(ipRange("172.18.255.0", 500), ipRange("fc00:f853:ccd:e793::", 500)...)
	before := owners(ips, fiveNodes)
	for _, gone := range fiveNodes {
		t.Run("remove "+gone, func(t *testing.T) {
			rest := slices.DeleteFunc(slices.Clone(fiveNodes), func(n string) bool { return n == gone })
			after := owners(ips, rest)
			moved, owned := 0, 0
			for _, ip := range ips {
				if before[ip] == gone {
					owned++
				}
				if before[ip] != after[ip] {
					moved++
					if before[ip] != gone {
						t.Errorf("%v moved from %s to %s, though %s left", ip, before[ip], after[ip], gone)
					}
				}
			}
			if moved != owned {
				t.Errorf("moved %d IPs, %s owned %d", moved, gone, owned)
			}
			t.Logf("%s owned and moved %d of %d IPs", gone, owned, len(ips))
		})
	}
	t.Run("add lab-worker5", func(t *testing.T) {
		after := owners(ips, append(slices.Clone(fiveNodes), "lab-worker5"))
		for _, ip := range ips {
			if before[ip] != after[ip] && after[ip] != "lab-worker5" {
				t.Errorf("%v moved from %s to %s, not to the new node", ip, before[ip], after[ip])
			}
		}
	})
}

// Each of 5 nodes owns 20% ± 5% of 10,000 consecutive IPs.
func TestBalance(t *testing.T) {
	for _, tc := range []struct{ name, start string }{
		{"IPv4", "172.18.0.0"},
		{"IPv6", "fc00:f853:ccd:e793::"},
		{"IPv4 /24s", "10.96.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 10000
			count := map[string]int{}
			for _, node := range owners(ipRange(tc.start, n), fiveNodes) {
				count[node]++
			}
			for _, node := range fiveNodes {
				if share := float64(count[node]) / n; share < 0.15 || share > 0.25 {
					t.Errorf("%s owns %.1f%%, want 20%% ± 5%%", node, 100*share)
				}
			}
			t.Logf("owned of %d: %v", n, count)
		})
	}
}

func BenchmarkOwner(b *testing.B) {
	for _, n := range []int{5, 50} {
		nodes := make([]string, n)
		for i := range nodes {
			nodes[i] = fmt.Sprintf("lab-worker%d", i+1)
		}
		ips := ipRange("172.18.0.0", 1024)
		b.Run(fmt.Sprintf("%dnodes", n), func(b *testing.B) {
			b.ReportAllocs()
			var sink string
			for i := 0; b.Loop(); i++ {
				sink, _ = Owner(ips[i%len(ips)], nodes)
			}
			_ = sink
		})
	}
}
