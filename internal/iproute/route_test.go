package iproute

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/testutil/golden"
)

// The inputs were captured with `ip -j route show` on a netns lab's TOR
// (FRR 8.4 installing ECMP routes learned from three GoBGP speakers); see
// testdata/README.md.
func TestParseGolden(t *testing.T) {
	for _, name := range []string{"routes-ipv4", "routes-ipv6", "single-ipv4", "single-ipv6", "all-ipv4"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			routes, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			golden.AssertJSON(t, filepath.Join("testdata", name+".golden.json"), routes)
		})
	}
}

func TestGateways(t *testing.T) {
	tests := []struct {
		file, dst string
		want      []string
	}{
		{"routes-ipv4.json", "198.51.100.0/32", []string{"10.89.0.11", "10.89.0.12", "10.89.0.13"}},
		{"single-ipv4.json", "198.51.100.1/32", []string{"10.89.0.11"}},
		{"routes-ipv6.json", "2001:db8:100::/128", []string{"fd00:89::b", "fd00:89::c", "fd00:89::d"}},
		{"single-ipv6.json", "2001:db8:100::1/128", []string{"fd00:89::b"}},
		{"all-ipv4.json", "10.89.0.0/24", nil},
	}
	for _, tt := range tests {
		data, _ := os.ReadFile(filepath.Join("testdata", tt.file))
		routes, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := Lookup(routes, netip.MustParsePrefix(tt.dst))
		if !ok {
			t.Fatalf("%s: no route to %s", tt.file, tt.dst)
		}
		var got []string
		for _, a := range r.Gateways() {
			got = append(got, a.String())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %s: gateways %v, want %v", tt.file, tt.dst, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	if _, err := Parse([]byte(`[{"dst":"bogus"}]`)); err == nil {
		t.Error("want an error for a bad destination")
	}
	if _, err := Parse([]byte(`[{"dst":"10.0.0.1","gateway":"x"}]`)); err == nil {
		t.Error("want an error for a bad gateway")
	}
	rs, err := Parse([]byte(`[{"dst":"default","gateway":"fd00::1","dev":"eth0"}]`))
	if err != nil || rs[0].Dst.String() != "::/0" {
		t.Errorf("default v6: %v %v", rs, err)
	}
}

// TestUnusableNexthops: a next hop ip flags dead or linkdown is installed
// but not forwarded over (single-path routes carry the flags on the route).
func TestUnusableNexthops(t *testing.T) {
	rs, err := Parse([]byte(`[
	  {"dst":"198.51.100.0","protocol":"bgp","metric":20,"flags":[],"nexthops":[
	    {"gateway":"10.89.0.11","dev":"eth0","weight":1,"flags":[]},
	    {"gateway":"10.89.0.12","dev":"eth0","weight":1,"flags":["linkdown"]},
	    {"gateway":"10.89.0.13","dev":"eth0","weight":1,"flags":["dead","linkdown"]}]},
	  {"dst":"198.51.100.1","gateway":"10.89.0.11","dev":"eth0","protocol":"bgp","metric":20,"flags":["onlink"]}]`))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rs[0].Unusable(), ", "); got != "10.89.0.12 (linkdown), 10.89.0.13 (dead), 10.89.0.13 (linkdown)" {
		t.Errorf("multipath: %q", got)
	}
	if len(rs[1].Unusable()) != 0 || len(rs[1].Nexthops[0].Flags) != 1 {
		t.Errorf("single path onlink: %+v", rs[1])
	}
}
