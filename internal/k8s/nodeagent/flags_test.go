package nodeagent

import (
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestParseTaints(t *testing.T) {
	got, err := ParseTaints([]string{"node-role.kubernetes.io/control-plane:NoSchedule", "dedicated=lb:NoExecute"})
	if err != nil {
		t.Fatal(err)
	}
	want := []corev1.Taint{
		{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule},
		{Key: "dedicated", Value: "lb", Effect: corev1.TaintEffectNoExecute},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("taint %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"noeffect", "k=v:Sometimes", "bad key:NoSchedule", "k=v v:NoSchedule"} {
		if _, err := ParseTaints([]string{bad}); err == nil || !strings.Contains(err.Error(), "--register-with-taint") {
			t.Errorf("ParseTaints(%q) = %v, want an error naming the flag", bad, err)
		}
	}
}

func TestParseLabelsAndNodeIPs(t *testing.T) {
	l, err := ParseLabels([]string{"rack=r1", "topology.kubernetes.io/zone=a", "empty="})
	if err != nil || l["rack"] != "r1" || l["topology.kubernetes.io/zone"] != "a" || l["empty"] != "" {
		t.Errorf("ParseLabels = %v, %v", l, err)
	}
	if _, err := ParseLabels([]string{"novalue"}); err == nil {
		t.Error("a label without = must be an error")
	}
	ips, err := ParseNodeIPs([]string{"10.89.0.10", "fd00:89::10"})
	if err != nil || len(ips) != 2 {
		t.Errorf("ParseNodeIPs = %v, %v", ips, err)
	}
	if _, err := ParseNodeIPs([]string{"10.89.0.10/24"}); err == nil {
		t.Error("a prefix is not a node IP")
	}
}

func TestValidate(t *testing.T) {
	ok := func() Config {
		return Config{Kubeconfig: "k", Node: "node1", Lab: "lab", Role: RoleWorker, RunDir: "/run/x",
			NodeIPs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"ok", func(*Config) {}, ""},
		{"role", func(c *Config) { c.Role = "master" }, "--role"},
		{"no ip", func(c *Config) { c.NodeIPs = nil }, "--node-ip"},
		{"same family", func(c *Config) { c.NodeIPs = append(c.NodeIPs, netip.MustParseAddr("10.0.0.2")) }, "same family"},
		{"relative run dir", func(c *Config) { c.RunDir = "run" }, "--run-dir"},
		{"lab", func(c *Config) { c.Lab = "Lab_1" }, "--lab"},
		{"forbidden label", func(c *Config) {
			c.Labels = map[string]string{"node-role.kubernetes.io/control-plane": ""}
		}, "NodeRestriction"},
		{"kubelet label", func(c *Config) { c.Labels = map[string]string{"topology.kubernetes.io/zone": "a"} }, ""},
		{"node.kubernetes.io label", func(c *Config) { c.Labels = map[string]string{"node.kubernetes.io/pool": "a"} }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok()
			tc.mutate(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
