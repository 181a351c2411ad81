package topology

import (
	"errors"
	"strings"
	"testing"
)

// TestDecodeProblems: how each kind of decoding problem is worded, and that
// it comes alone when the field's default leaves nothing else wrong.
func TestDecodeProblems(t *testing.T) {
	head := "apiVersion: lblab.dev/v1alpha1\nkind: Topology\nname: t\n"
	ports := "- &w {name: a, service: {ports: [&p {port: 1}" + strings.Repeat(", *p", 99) + "]}}\n"
	tests := []struct {
		name, body, want string
	}{
		{"uint out of range", "tor: {asn: 4294967296}", "line 4: tor.asn: 4294967296 is out of range (0 to 4294967295)"},
		{"bool", "controller: {pools: [{name: a, addresses: [198.51.100.0/24], autoAssign: maybe}]}",
			`line 4: controller.pools[0].autoAssign: want true or false, got "maybe"`},
		{"nodes scalar", "nodes: three", `line 4: nodes: want a list of nodes or {controlPlanes: N, workers: M}, got "three"`},
		{"nodes negative", "nodes: {controlPlanes: -1}", "line 4: nodes.controlPlanes: -1 must not be negative"},
		{"nodes too many", "nodes: {workers: 5000}", "line 4: nodes.workers: 5000 is more than 1000 nodes"},
		{"nodes unknown count", "nodes: {worker: 2}", "line 4: nodes.worker: unknown field (known fields: controlPlanes, workers)"},
		{"mapping wanted", "network: [ipv4]", "line 4: network: want a mapping (key: value), got a list"},
		{"labels", "nodes: [{role: control-plane}, {role: worker, labels: a}]", "line 4: nodes[1].labels: want a mapping (key: value), got \"a\""},
		{"null is absent", "tor: {asn: null}\nnodes: {workers: 0}", "line 5: nodes: want at least 1 worker node, have 0"},
		{"aliases", "workloads:\n" + ports + strings.Repeat("- *w\n", 200), "the file expands to more than 10000 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(head + tt.body))
			var list *Errors
			if !errors.As(err, &list) {
				t.Fatalf("Decode: %v, want problems", err)
			}
			if len(list.List) != 1 || !strings.Contains(list.List[0].Error(), tt.want) {
				t.Errorf("problems:\n%v\nwant only one, containing %q", err, tt.want)
			}
		})
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		path, base string
		want       bool
	}{
		{"nodes", "nodes", true},
		{"nodes[1].role", "nodes", true},
		{"nodes.workers", "nodes", true},
		{"nodesX", "nodes", false},
		{"nodes", "nodes[1]", false},
		{"workloads[1]", "workloads[10]", false},
	}
	for _, tt := range tests {
		if got := within(tt.path, tt.base); got != tt.want {
			t.Errorf("within(%q, %q) = %v, want %v", tt.path, tt.base, got, tt.want)
		}
	}
}
