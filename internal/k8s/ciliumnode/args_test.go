package ciliumnode

import (
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/testutil/golden"
)

func testConfig(cidrs ...string) Config {
	c := Config{Agent: "/cache/bin/cilium-agent", Kubeconfig: "/state/kubeconfigs/cilium.conf",
		LibDir: "/cache/cilium/lib", Device: "eth0"}
	for _, s := range cidrs {
		c.PodCIDRs = append(c.PodCIDRs, netip.MustParsePrefix(s))
	}
	return c
}

// flag returns the value of --name=value in argv, and whether it is there.
func flag(argv []string, name string) (string, bool) {
	for _, a := range argv {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

func TestArgs(t *testing.T) {
	tests := []struct {
		name   string
		cidrs  []string
		v4, v6 string // native-routing CIDRs, "" when the family is off
	}{
		{"v4", []string{"10.244.0.0/16"}, "10.244.0.0/16", ""},
		// Unmasked host bits are dropped; the order of families does not matter.
		{"dual", []string{"fd00:10:244::1/56", "10.244.0.0/16"}, "10.244.0.0/16", "fd00:10:244::/56"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(tc.cidrs...)
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			argv := Args(c)
			golden.Assert(t, filepath.Join("testdata", "args-"+tc.name+".golden"), []byte(strings.Join(argv, "\n")+"\n"))
			if argv[0] != c.Agent {
				t.Errorf("argv[0] = %q", argv[0])
			}
			for fam, want := range map[string]string{"ipv4": tc.v4, "ipv6": tc.v6} {
				enabled, _ := flag(argv, "enable-"+fam)
				cidr, ok := flag(argv, fam+"-native-routing-cidr")
				if enabled != strconv.FormatBool(want != "") || cidr != want || ok != (want != "") {
					t.Errorf("%s: enabled %q native-routing CIDR %q (%v), want %q", fam, enabled, cidr, ok, want)
				}
			}
			for name, want := range map[string]string{
				"kube-proxy-replacement": "true",
				"socket-path":            SocketPath,
				"cgroup-root":            CgroupRoot,
				"bpf-root":               BPFRoot,
				"devices":                c.Device,
				"state-dir":              StateDir,
				"lib-dir":                c.LibDir,
				"k8s-kubeconfig-path":    c.Kubeconfig,
				"ipam":                   "kubernetes",
				"routing-mode":           "native",
			} {
				if got, _ := flag(argv, name); got != want {
					t.Errorf("--%s=%q, want %q", name, got, want)
				}
			}
			if !strings.HasPrefix(SocketPath, RunDir+"/") || !strings.HasPrefix(CgroupRoot, RunDir+"/") {
				t.Errorf("socket %s and cgroup root %s must be under %s, which Confine binds", SocketPath, CgroupRoot, RunDir)
			}
			if len(slices.Compact(slices.Sorted(slices.Values(argv)))) != len(argv) {
				t.Errorf("repeated argument in %q", argv)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // in the error; "" for none
	}{
		{"ok", func(*Config) {}, ""},
		{"dual", func(c *Config) { c.PodCIDRs = append(c.PodCIDRs, netip.MustParsePrefix("fd00:10:244::/56")) }, ""},
		{"v6 only", func(c *Config) { c.PodCIDRs = []netip.Prefix{netip.MustParsePrefix("fd00:10:244::/56")} }, ""},
		{"no agent", func(c *Config) { c.Agent = "" }, "the agent binary is not set"},
		{"no kubeconfig", func(c *Config) { c.Kubeconfig = "" }, "the kubeconfig is not set"},
		{"no lib dir", func(c *Config) { c.LibDir = "" }, "the lib dir is not set"},
		{"no device", func(c *Config) { c.Device = "" }, "the device is not set"},
		{"no pod CIDR", func(c *Config) { c.PodCIDRs = nil }, "no pod CIDR"},
		{"two v4", func(c *Config) { c.PodCIDRs = append(c.PodCIDRs, netip.MustParsePrefix("10.245.0.0/16")) },
			"two pod CIDRs of one family"},
		{"two v6", func(c *Config) {
			c.PodCIDRs = []netip.Prefix{netip.MustParsePrefix("fd00:1::/56"), netip.MustParsePrefix("fd00:2::/56")}
		}, "two pod CIDRs of one family"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig("10.244.0.0/16")
			tc.mutate(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}
