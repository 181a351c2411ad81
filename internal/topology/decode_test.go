package topology

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lblab/lblab/topologies"
)

func TestDecodeValid(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid-*.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/valid-*.yaml")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			topo, err := Load(f)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if err := Validate(topo); err != nil {
				t.Errorf("a loaded topology fails Validate: %v", err)
			}
			// Defaults are idempotent and a marshalled topology decodes to itself.
			out, err := Marshal(topo)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Decode(out)
			if err != nil {
				t.Fatalf("re-decoding marshalled topology: %v\n%s", err, out)
			}
			out2, _ := Marshal(again)
			if string(out) != string(out2) {
				t.Errorf("marshal is not stable:\n%s\n---\n%s", out, out2)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid-*.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/invalid-*.yaml")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var wants []string
			for _, l := range strings.Split(string(data), "\n") {
				if w, ok := strings.CutPrefix(l, "# want: "); ok {
					wants = append(wants, w)
				}
			}
			if len(wants) == 0 {
				t.Fatal("an invalid-*.yaml file needs at least one '# want: ' line")
			}
			_, err = Load(f)
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, filepath.Base(f)) {
				t.Errorf("error does not name the file: %s", msg)
			}
			for _, w := range wants {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not contain %q:\n%s", w, msg)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	topo, err := Load("testdata/valid-minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range topo.Nodes.List {
		names = append(names, n.Name+"/"+string(n.Role))
	}
	if got, want := strings.Join(names, " "), "control-plane/control-plane node1/worker node2/worker node3/worker"; got != want {
		t.Errorf("nodes = %s, want %s", got, want)
	}
	checks := []struct{ name, got, want string }{
		{"ipFamily", string(topo.Network.IPFamily), "ipv4"},
		{"pod subnet", topo.Network.IPv4PodSubnet, DefaultIPv4PodSubnet},
		{"ipv6 pod subnet", topo.Network.IPv6PodSubnet, ""},
		{"dataplane", string(topo.Dataplane), "iptables"},
		{"controller", string(topo.Controller.Type), "lblab"},
		{"pool", strings.Join(topo.Controller.Pools[0].Addresses, ","), DefaultIPv4Pool},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if topo.TOR.ASN != DefaultTORASN || topo.Controller.ASN != DefaultNodeASN {
		t.Errorf("ASNs = %d/%d", topo.TOR.ASN, topo.Controller.ASN)
	}
	if len(topo.Scenarios) != len(ScenarioNames) {
		t.Errorf("scenarios = %v, want all", topo.Scenarios)
	}
}

func TestNamesFromList(t *testing.T) {
	topo, err := Load("testdata/valid-list.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range topo.Nodes.List {
		names = append(names, n.Name)
	}
	if got := strings.Join(names, ","); got != "control-plane,rack1-a,node1" {
		t.Errorf("names = %s", got)
	}
	s := topo.Workloads[0].Service
	if s.IPFamilyPolicy != "PreferDualStack" || s.Ports[0].TargetPort != 80 || s.Ports[0].Protocol != "TCP" {
		t.Errorf("service defaults: %+v", s)
	}
}

func TestBundled(t *testing.T) {
	names := topologies.Names()
	for _, want := range []string{"bgp-ecmp", "bgp-ecmp-dual"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("bundled topology %s missing from %v", want, names)
		}
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			topo, err := Load(n)
			if err != nil {
				t.Fatal(err)
			}
			if topo.Name != n {
				t.Errorf("name %q, want %q (the file name)", topo.Name, n)
			}
		})
	}
	seed, _ := Load("bgp-ecmp")
	if len(seed.Nodes.Workers()) != 3 || seed.TOR.ASN != 64496 || seed.Controller.ASN != 64500 ||
		seed.Controller.Pools[0].Addresses[0] != "198.51.100.0/24" {
		t.Errorf("bgp-ecmp is not the seed lab: %+v", seed)
	}
	if _, err := Load("no-such-topology"); err == nil || !strings.Contains(err.Error(), "bgp-ecmp") {
		t.Errorf("unknown topology error should list the bundled ones: %v", err)
	}
}
