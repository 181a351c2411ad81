package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/lab"
)

func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := NewCommand(&stdout, &stderr)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return stdout.String(), stderr.String(), err
}

// Bad input must fail before anything is created: no state, no run dir.
func TestUpRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad topology field", []string{"up", "-t", "testdata/bad-subnet.yaml"},
			"line 5: network.ipv4Subnet: 10.0.0.0/33 is not a valid prefix"},
		{"unknown topology", []string{"up", "-t", "no-such-lab"}, "neither a file nor a bundled topology"},
		{"bad dataplane flag", []string{"up", "--dataplane", "ebf"}, `dataplane: "ebf" is not one of iptables, ipvs, nftables, ebpf`},
		{"bad name flag", []string{"up", "--name", "Bad_Name"}, `name: "Bad_Name" must be a DNS label`},
		{"bad backend", []string{"up", "--backend", "vagrant"}, `--backend "vagrant": want netns or kind`},
		{"bad controller flag", []string{"up", "--controller", "purelb"}, `controller.type: "purelb" is not lblab, metallb, kube-vip, openelb or none`},
		{"kube-vip dual-stack", []string{"up", "-t", "bgp-ecmp-dual", "--controller", "kube-vip"}, `--controller kube-vip: network.ipFamily dual`},
		{"kube-vip in l2 mode, dual-stack", []string{"up", "-t", "l2-dual", "--controller", "kube-vip"}, `--controller kube-vip: network.ipFamily dual`},
		{"a class controller beside kube-vip", []string{"up", "-t", "lb-class", "--controller", "kube-vip"},
			`controller.classes: controller.type kube-vip beside a class controller is not supported`},
		{"a class controller on kind", []string{"up", "--backend", "kind", "-t", "lb-class"}, `controller.classes: the kind backend does not run a class controller`},
		{"metallb with bfd", []string{"up", "-t", "bgp-ecmp-bfd", "--controller", "metallb"}, `--controller metallb: tor.bfd: MetalLB's native BGP mode has no BFD`},
		{"metallb ipv6 only", []string{"up", "-t", "bgp-ecmp-v6", "--controller", "metallb"}, `--controller metallb: network.ipFamily ipv6`},
		{"metallb with bfd on kind", []string{"up", "--backend", "kind", "-t", "bgp-ecmp-bfd", "--controller", "metallb"}, `--controller metallb: tor.bfd`},
		{"openelb in l2 mode", []string{"up", "-t", "l2", "--controller", "openelb"}, `--controller openelb: controller.mode "l2"`},
		{"openelb with bfd", []string{"up", "-t", "bgp-ecmp-bfd", "--controller", "openelb"}, `--controller openelb: tor.bfd: OpenELB's embedded GoBGP has no BFD`},
		{"openelb dual-stack", []string{"up", "-t", "bgp-ecmp-dual", "--controller", "openelb"}, `--controller openelb: network.ipFamily dual`},
		{"openelb dual-stack on kind", []string{"up", "--backend", "kind", "-t", "bgp-ecmp-dual", "--controller", "openelb"}, `--controller openelb: network.ipFamily dual`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, runDir := t.TempDir(), t.TempDir()
			t.Setenv(lab.EnvStateDir, state)
			t.Setenv(lab.EnvRunDir, runDir)
			_, _, err := runCLI(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tt.want)
			}
			for _, dir := range []string{state, runDir} {
				if entries, _ := os.ReadDir(dir); len(entries) > 0 {
					t.Errorf("%s is not empty after a rejected up: %v", dir, entries)
				}
			}
		})
	}
}

func TestExecUsage(t *testing.T) {
	t.Setenv(lab.EnvStateDir, t.TempDir())
	_, _, err := runCLI(t, "exec", "tor", "vtysh")
	if err == nil || !strings.Contains(err.Error(), "usage: lblab exec HOST -- COMMAND") {
		t.Errorf("err = %v", err)
	}
	_, _, err = runCLI(t, "exec", "--name", "nolab", "tor", "--", "true")
	if err == nil || !strings.Contains(err.Error(), `lab "nolab" does not exist`) {
		t.Errorf("err = %v", err)
	}
}

func TestVersion(t *testing.T) {
	out, _, err := runCLI(t, "version", "-o", "json")
	if err != nil || !strings.Contains(out, `"goVersion"`) {
		t.Errorf("version -o json: %v %s", err, out)
	}
}
