package nodeagent

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
)

func prefixes(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func TestIPAMAllocateReleasePersist(t *testing.T) {
	dir := t.TempDir()
	m := newIPAM(dir)
	cidrs := prefixes("10.244.1.0/24", "fd00:10:244:1::/64")
	a, err := m.Allocate("pod-a", cidrs)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a) != "[10.244.1.2 fd00:10:244:1::1]" {
		t.Errorf("first pod got %v; .0 is the network, .1 the gateway", a)
	}
	again, _ := m.Allocate("pod-a", cidrs)
	if !slices.Equal(a, again) {
		t.Errorf("allocating again gave %v, want the same %v", again, a)
	}
	b, _ := m.Allocate("pod-b", cidrs)
	if fmt.Sprint(b) != "[10.244.1.3 fd00:10:244:1::2]" {
		t.Errorf("second pod got %v", b)
	}
	// A restarted agent (new ipam on the same dir) sees both.
	m2 := newIPAM(dir)
	if err := m2.Release("pod-a"); err != nil {
		t.Fatal(err)
	}
	c, _ := m2.Allocate("pod-c", cidrs)
	if fmt.Sprint(c) != "[10.244.1.4 fd00:10:244:1::3]" {
		t.Errorf("after a release, the next pod got %v; addresses are handed out round-robin", c)
	}
	owners, _ := m2.Owners()
	want := map[string]string{"10.244.1.3": "pod-b", "fd00:10:244:1::2": "pod-b", "10.244.1.4": "pod-c", "fd00:10:244:1::3": "pod-c"}
	if len(owners) != len(want) {
		t.Errorf("owners = %v", owners)
	}
	for a, o := range owners {
		if want[a.String()] != o {
			t.Errorf("%s owned by %q, want %q", a, o, want[a.String()])
		}
	}
}

func TestIPAMWrapsAndFills(t *testing.T) {
	m := newIPAM(t.TempDir())
	cidr := prefixes("10.244.9.0/29") // .2-.6 usable
	var got []string
	for i := range 5 {
		a, err := m.Allocate(fmt.Sprintf("p%d", i), cidr)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, a[0].String())
	}
	if fmt.Sprint(got) != "[10.244.9.2 10.244.9.3 10.244.9.4 10.244.9.5 10.244.9.6]" {
		t.Errorf("allocated %v", got)
	}
	if _, err := m.Allocate("p5", cidr); err == nil {
		t.Error("a full CIDR must be an error")
	}
	_ = m.Release("p1")
	a, err := m.Allocate("p6", cidr)
	if err != nil || a[0].String() != "10.244.9.3" {
		t.Errorf("after wrapping around got %v, %v; want 10.244.9.3", a, err)
	}
	if _, err := m.Allocate("x", prefixes("10.0.0.0/31")); err == nil {
		t.Error("a /31 has no room for pods")
	}
}

func TestGateway(t *testing.T) {
	for in, want := range map[string]string{"10.244.1.0/24": "10.244.1.1", "fd00:10:244:1::/64": "fe80::1"} {
		if got := gateway(netip.MustParsePrefix(in)); got.String() != want {
			t.Errorf("gateway(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestPodNetNames(t *testing.T) {
	none := func(string) bool { return false }
	ns, veth := podNetNames("lab", "96ac1923-5b1e-4c1d-9e0f-0123456789ab", none)
	if ns != "lab_pod-96ac1923-5b1e-4c1d-9e0f-0123456789ab" || veth != "veth96ac19235b1" {
		t.Errorf("names = %s %s", ns, veth)
	}
	_, other := podNetNames("lab", "96ac1923-5b1e-4c1d-9e0f-0123456789ab", func(v string) bool { return v == veth })
	if other == veth || len(other) > 15 {
		t.Errorf("on a clash the veth is %q", other)
	}
	if ns, veth := podNetNames("lab", "odd/uid", none); ns != "lab_pod-odd_uid" || len(veth) != 15 {
		t.Errorf("odd UID gives %s %s", ns, veth)
	}
}
