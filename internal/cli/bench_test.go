package cli

import (
	"slices"
	"strings"
	"testing"
)

// TestBenchPlan: every bad flag and unsupported combination is refused,
// naming the flag, before any lab is made.
func TestBenchPlan(t *testing.T) {
	ok := benchFlags{controllers: []string{"lblab", "metallb"}, services: "100,1000", latency: 100,
		topology: "bgp-ecmp", name: "bench", output: "table"}
	tests := []struct {
		name    string
		change  func(*benchFlags)
		wantErr string
		sizes   []int
	}{
		{"defaults", func(*benchFlags) {}, "", []int{100, 1000}},
		{"no churn", func(f *benchFlags) { f.services = "" }, "", nil},
		{"kube-vip and a plot", func(f *benchFlags) { f.controllers = []string{"kube-vip"}; f.plot = "b.svg" }, "", []int{100, 1000}},
		{"bad size", func(f *benchFlags) { f.services = "100,x" }, "--services", nil},
		{"zero size", func(f *benchFlags) { f.services = "0" }, "--services", nil},
		{"bad output", func(f *benchFlags) { f.output = "yaml" }, "-o", nil},
		{"bad plot", func(f *benchFlags) { f.plot = "bench.pdf" }, "--plot bench.pdf", nil},
		{"unknown controller", func(f *benchFlags) { f.controllers = []string{"lblab", "cilium"} }, `--controller "cilium"`, nil},
		{"twice", func(f *benchFlags) { f.controllers = []string{"lblab", "lblab"} }, "twice", nil},
		{"none", func(f *benchFlags) { f.controllers = nil }, "--controller", nil},
		{"l2 topology", func(f *benchFlags) { f.topology = "l2"; f.controllers = []string{"lblab"} }, "BGP topology", nil},
		{"MetalLB cannot serve IPv6-only", func(f *benchFlags) { f.topology = "bgp-ecmp-v6" }, "--controller metallb", nil},
		{"negative latency", func(f *benchFlags) { f.latency = -1 }, "--latency", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ok
			tt.change(&f)
			ts, sizes, err := benchPlan(&f)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sizes, tt.sizes) {
				t.Errorf("sizes = %v, want %v", sizes, tt.sizes)
			}
			if len(ts) != len(f.controllers) {
				t.Fatalf("%d topologies for %d controllers", len(ts), len(f.controllers))
			}
			for i, top := range ts {
				if string(top.Controller.Type) != f.controllers[i] || top.Name != f.name {
					t.Errorf("topology %d: controller %s, name %s; want %s, %s", i, top.Controller.Type, top.Name, f.controllers[i], f.name)
				}
			}
		})
	}
}
