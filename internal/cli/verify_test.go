package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func TestVerifyExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing lab", []string{"verify", "--name", "nolab"}, 2, `lab "nolab" does not exist`},
		{"bad output", []string{"verify", "--name", "nolab", "-o", "xml"}, 2, `-o "xml": want table, json, junit or html`},
		{"html output", []string{"verify", "--name", "nolab", "-o", "html"}, 2, `lab "nolab" does not exist`},
		{"list needs no lab", []string{"verify", "--list"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(lab.EnvStateDir, t.TempDir())
			stdout, _, err := runCLI(t, tt.args...)
			if got := exitCode(err); got != tt.code {
				t.Fatalf("exit %d (%v), want %d", got, err, tt.code)
			}
			if tt.want != "" && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
			if tt.code == 0 {
				for _, n := range topology.ScenarioNames {
					if !strings.Contains(stdout, n) {
						t.Errorf("--list misses %s:\n%s", n, stdout)
					}
				}
			}
		})
	}
}

func TestVerifyUnknownScenario(t *testing.T) {
	state := t.TempDir()
	t.Setenv(lab.EnvStateDir, state)
	topo, err := topology.Load("bgp-ecmp")
	if err != nil {
		t.Fatal(err)
	}
	topo.Name = "unit"
	topo.Network.IPv4Subnet = "10.89.200.0/24"
	if err := lab.SaveTopology(topo); err != nil {
		t.Fatal(err)
	}
	if err := lab.SaveState(&lab.State{Name: "unit", Backend: "netns", Dataplane: "iptables", FabricOnly: true, Phase: lab.PhaseReady}); err != nil {
		t.Fatal(err)
	}
	_, _, err = runCLI(t, "verify", "--name", "unit", "--scenario", "ecmp-rib,nope")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), `unknown scenario "nope"`) {
		t.Errorf("unknown scenario: exit %d %v", exitCode(err), err)
	}
	_, _, err = runCLI(t, "inspect", "routes", "--name", "unit", "-o", "yaml")
	if err == nil || !strings.Contains(err.Error(), `-o "yaml"`) {
		t.Errorf("inspect -o yaml: %v", err)
	}
}
