package netns

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/testutil/golden"
	"github.com/lblab/lblab/internal/topology"
	"github.com/lblab/lblab/internal/uml"
)

// umlLab is bgp-ecmp (dual-stack when dual) with its workers on uml.
func umlLab(t *testing.T, dual bool) (*lab.Lab, *plan) {
	t.Helper()
	c := testCluster(t, "bgp-ecmp", dual)
	c.l.Topology.NodeKernel = topology.NodeKernelUML
	p, err := newPlan(c.l.Topology)
	if err != nil {
		t.Fatal(err)
	}
	return c.l, p
}

// Workers become guests with a tap on the bridge; the control plane,
// the TOR and the client stay namespaces.
func TestUMLPlan(t *testing.T) {
	_, p := umlLab(t, false)
	var guests []string
	for _, h := range p.guests() {
		guests = append(guests, h.name)
		if h.ns != "" || h.port != h.name {
			t.Errorf("guest %s: ns %q, port %q", h.name, h.ns, h.port)
		}
	}
	if want := []string{"node1", "node2", "node3"}; !slices.Equal(guests, want) {
		t.Errorf("guests %v, want %v", guests, want)
	}
	want := []string{"k8s-unit_fabric", "k8s-unit_tor", "k8s-unit_control-plane", "k8s-unit_client"}
	if got := p.namespaces(); !slices.Equal(got, want) {
		t.Errorf("namespaces %v, want %v", got, want)
	}
	lines := strings.Join(fabricLines(p.hosts(), true), "\n")
	for _, w := range []string{"tuntap add dev node1 mode tap\nlink set node1 alias node1 master br0 up",
		"link add control-plane type veth peer name eth0 netns k8s-unit_control-plane"} {
		if !strings.Contains(lines, w) {
			t.Errorf("fabric lines lack %q:\n%s", w, lines)
		}
	}
	if strings.Contains(lines, "netns k8s-unit_node") {
		t.Errorf("a guest got a veth into a namespace:\n%s", lines)
	}
}

// A guest's kernel command line and its init's configuration are the
// contract with UML and `lblab guest-init`.
func TestGuestBoot(t *testing.T) {
	l, p := umlLab(t, true)
	k := uml.Kernel{Binary: "/usr/bin/linux.uml", Version: "6.1.176", ModulesDir: "/usr/lib/uml/modules/6.1.176"}
	g := p.guests()[0]
	d := kernelDaemon(l, p, k, "/usr/bin/lblab", "/cache/uml/fpregs.so", g)
	cfg, err := json.MarshalIndent(guestConfig(l, k, "/tmp/go-build1/b001/lblab", g), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	y := newK8sLayout(l.Name)
	out := d.ns + ": " + strings.Join(d.env, " ") + " " + strings.Join(d.argv, " ") + "\n" + string(cfg) + "\n"
	out = strings.NewReplacer(y.state, "$STATE", y.run, "$RUN").Replace(out)
	golden.Assert(t, filepath.Join("testdata", "guest-node1-dual.golden"), []byte(out))
}
