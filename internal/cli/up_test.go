package cli

import (
	"testing"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// `up --name X` without -t converges X with its saved topology and keeps
// the source it was brought up from; -t names a new one.
func TestLoadForUpKeepsTheSource(t *testing.T) {
	t.Setenv(lab.EnvStateDir, t.TempDir())
	saved, err := topology.Load("bgp-ecmp-dual")
	if err != nil {
		t.Fatal(err)
	}
	saved.Name = "conv"
	if err := lab.SaveTopology(saved); err != nil {
		t.Fatal(err)
	}
	if err := lab.SaveState(&lab.State{Name: "conv", Backend: "netns", Source: "./my-lab.yaml", Phase: lab.PhaseReady}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		changed    bool
		family     topology.IPFamily
		wantSource string
	}{
		{false, topology.Dual, "./my-lab.yaml"},
		{true, topology.IPv4, "bgp-ecmp"},
	} {
		f := &upFlags{topology: "bgp-ecmp", name: "conv"}
		got, source, err := loadForUp(f, func(flag string) bool { return flag == "topology" && tt.changed })
		if err != nil {
			t.Fatal(err)
		}
		if got.Network.IPFamily != tt.family || source != tt.wantSource {
			t.Errorf("-t given: %v: topology %s from %q, want %s from %q", tt.changed, got.Network.IPFamily, source, tt.family, tt.wantSource)
		}
	}
}
