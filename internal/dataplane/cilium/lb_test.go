package cilium

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lblab/lblab/internal/testutil/golden"
)

// lab-dual and netns-dual are captured from live Cilium 1.20.2 agents on
// netns nodes; noproto follows an older agent's source format (see
// testdata/README.md).
func TestParseGolden(t *testing.T) {
	for _, name := range []string{"bpf-lb-list.lab-dual", "bpf-lb-list-noproto.from-source", "bpf-lb-list.netns-dual"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			fes, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			golden.AssertJSON(t, filepath.Join("testdata", name+".golden.json"), fes)
		})
	}
}

// A live agent's map: each LB IP of the dual-stack Service leads to its two
// pods of that family, one slot per key.
func TestLookupCaptured(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "bpf-lb-list.netns-dual.json"))
	if err != nil {
		t.Fatal(err)
	}
	fes, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ip   string
		want []string
	}{
		{"198.51.100.10", []string{"10.214.1.236:80", "10.214.2.158:80"}},
		{"2001:db8:100::10", []string{"[fd00:10:244:1::fa92]:80", "[fd00:10:244:2::29b1]:80"}},
	}
	for _, tt := range tests {
		f, ok := Lookup(fes, netip.MustParseAddr(tt.ip), "TCP", 80)
		if !ok {
			t.Fatalf("no frontend %s", tt.ip)
		}
		var got []string
		for _, b := range f.Frontend(nil).Backends {
			got = append(got, b.String())
		}
		if !slices.Equal(got, tt.want) || !slices.Contains(f.Flags, "LoadBalancer") {
			t.Errorf("%s: backends %v flags %v, want %v, LoadBalancer", tt.ip, got, f.Flags, tt.want)
		}
	}
}

// TestLookup: an ebpf lab's agent (bgp-ecmp-dual), with web (every pod),
// web-local (ETP=Local: node1's own pod from outside, every pod inside the
// cluster) and web-src (source ranges), both families.
func TestLookup(t *testing.T) {
	fes := parseFile(t, "bpf-lb-list.lab-dual.json")
	tests := []struct {
		ip   string
		port uint16
		want []string
		flag string
	}{
		{"198.51.100.0", 80, []string{"10.244.0.69:80", "10.244.2.81:80", "10.244.4.101:80"}, "LoadBalancer"},
		{"198.51.100.1", 80, []string{"10.244.2.81:80"}, "Local"}, // external scope: local backends only
		{"198.51.100.2", 8080, []string{"10.244.0.69:80", "10.244.2.81:80", "10.244.4.101:80"}, "check source-range"},
		{"2001:db8:100::", 80, []string{"[fd00:10:244::125e]:80", "[fd00:10:244:2::2f2e]:80", "[fd00:10:244:4::5803]:80"}, "LoadBalancer"},
		{"2001:db8:100::1", 80, []string{"[fd00:10:244:2::2f2e]:80"}, "two-scopes"},
	}
	for _, tt := range tests {
		f, ok := Lookup(fes, netip.MustParseAddr(tt.ip), "TCP", tt.port)
		if !ok {
			t.Fatalf("no frontend %s", tt.ip)
		}
		var got []string
		for _, b := range f.Frontend(nil).Backends {
			got = append(got, b.String())
		}
		if !slices.Equal(got, tt.want) || !slices.Contains(f.Flags, tt.flag) {
			t.Errorf("%s: backends %v flags %v, want %v with %s", tt.ip, got, f.Flags, tt.want, tt.flag)
		}
	}
	if _, ok := Lookup(fes, netip.MustParseAddr("198.51.100.2"), "TCP", 80); ok {
		t.Error("web-src has no frontend on port 80")
	}
	// A backend ID the backends map lacks, as cilium-dbg prints it.
	dangling, err := Parse([]byte(`{"[2001:db8:100::9]:80/TCP (0)": ["[::]:0 (11) (0) [LoadBalancer] "],
		"[2001:db8:100::9]:80/TCP (1)": ["backend 99 not found"]}`))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := Lookup(dangling, netip.MustParseAddr("2001:db8:100::9"), "tcp", 80)
	if len(f.Missing) != 1 || len(f.Backends) != 0 {
		t.Errorf("dangling backend: %+v", f)
	}
	for _, bad := range []string{`{"nope": []}`, `{"1.2.3.4:80/TCP": ["garbage"]}`, `[]`} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%s): want an error", bad)
		}
	}
}

// TestFrontendProtocol: the mode-independent view says the protocol the
// agent printed, and none when an older agent printed none.
func TestFrontendProtocol(t *testing.T) {
	for file, want := range map[string]string{"bpf-lb-list.lab-dual.json": "tcp", "bpf-lb-list-noproto.from-source.json": ""} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		fes, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		f, ok := Lookup(fes, netip.MustParseAddr("198.51.100.0"), "tcp", 80)
		if !ok {
			t.Fatalf("%s: no frontend 198.51.100.0:80", file)
		}
		if got := f.Frontend(nil).Protocol; got != want {
			t.Errorf("%s: protocol %q, want %q", file, got, want)
		}
	}
}

func parseFile(t *testing.T, name string) []Frontend {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	fes, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return fes
}
