package cilium

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lblab/lblab/internal/testutil/golden"
)

// The from-source inputs follow cilium-dbg's source format but were not
// captured from a live agent; netns-dual was, from a Cilium 1.20.2 agent
// on a netns node (see testdata/README.md).
func TestParseGolden(t *testing.T) {
	for _, name := range []string{"bpf-lb-list.from-source", "bpf-lb-list-noproto.from-source", "bpf-lb-list.netns-dual"} {
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

func TestLookup(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join("testdata", "bpf-lb-list.from-source.json"))
	fes, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ip   string
		want []string
		flag string
	}{
		{"198.51.100.0", []string{"10.244.1.2:80", "10.244.2.2:80", "10.244.3.2:80"}, "LoadBalancer"},
		{"198.51.100.1", []string{"10.244.1.3:80"}, "Local"}, // external scope: local backends only
		{"2001:db8:100::", []string{"[fd00:10:244:1::2]:80", "[fd00:10:244:2::2]:80", "[fd00:10:244:3::2]:80"}, "LoadBalancer"},
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
		if !slices.Equal(got, tt.want) || !slices.Contains(f.Flags, tt.flag) {
			t.Errorf("%s: backends %v flags %v, want %v with %s", tt.ip, got, f.Flags, tt.want, tt.flag)
		}
	}
	f, _ := Lookup(fes, netip.MustParseAddr("2001:db8:100::9"), "tcp", 80)
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
	for file, want := range map[string]string{"bpf-lb-list.from-source.json": "tcp", "bpf-lb-list-noproto.from-source.json": ""} {
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
