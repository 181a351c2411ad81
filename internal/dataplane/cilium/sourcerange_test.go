package cilium

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fromSource(t *testing.T) ([]Frontend, SourceRanges) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "bpf-lb-list.from-source.json"))
	if err != nil {
		t.Fatal(err)
	}
	fes, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	data, err = os.ReadFile(filepath.Join("testdata", "bpf-lb-list-source-ranges.from-source.json"))
	if err != nil {
		t.Fatal(err)
	}
	ranges, err := ParseSourceRanges(data)
	if err != nil {
		t.Fatal(err)
	}
	return fes, ranges
}

// TestSourceRanges: a frontend's sources are its rev-NAT ID's entries of
// the source-range maps when it checks them, and every source otherwise.
func TestSourceRanges(t *testing.T) {
	fes, ranges := fromSource(t)
	if got := fmt.Sprint(ranges); got != "map[7:[10.89.0.0/24 192.0.2.2/32] 10:[2001:db8:c::2/128]]" {
		t.Errorf("parsed %s", got)
	}
	for _, tt := range []struct {
		ip, want string
	}{
		{"198.51.100.0", "[]"}, // no check flag: every source
		{"198.51.100.2", "[10.89.0.0/24 192.0.2.2/32]"},
		{"2001:db8:100::2", "[2001:db8:c::2/128]"},
	} {
		f, ok := Lookup(fes, netip.MustParseAddr(tt.ip), "tcp", 80)
		if !ok {
			t.Fatalf("no frontend %s", tt.ip)
		}
		if got := f.Frontend(ranges); fmt.Sprint(got.SourceRanges) != tt.want || got.Drop {
			t.Errorf("%s: sources %v drop %v, want %s", tt.ip, got.SourceRanges, got.Drop, tt.want)
		}
	}
	for _, bad := range []string{`{"192.0.2.2/32": [""]}`, `{"nonsense/99 (7)": [""]}`, `[]`} {
		if _, err := ParseSourceRanges([]byte(bad)); err == nil {
			t.Errorf("ParseSourceRanges(%s): want an error", bad)
		}
	}
}

// TestSourceRangesNotInForce: states the agent should not leave, each with
// what it really lets in.
func TestSourceRangesNotInForce(t *testing.T) {
	fes, ranges := fromSource(t)
	checked, _ := Lookup(fes, netip.MustParseAddr("198.51.100.2"), "tcp", 80)
	plain, _ := Lookup(fes, netip.MustParseAddr("198.51.100.0"), "tcp", 80)
	deny := *checked
	deny.Flags = append(deny.Flags, flagDeny)
	for _, tt := range []struct {
		name    string
		fe      *Frontend
		ranges  SourceRanges
		sources string
		drop    bool
		rule    string
	}{
		{"entries without the check flag", plain, SourceRanges{plain.RevNAT: {netip.MustParsePrefix("192.0.2.2/32")}}, "[]", false, "not in force"},
		{"check flag without entries", checked, nil, "[]", true, "source ranges (rev-NAT 7): []"},
		{"a deny list", &deny, ranges, "[]", false, "are a deny list"},
	} {
		f := tt.fe.Frontend(tt.ranges)
		if fmt.Sprint(f.SourceRanges) != tt.sources || f.Drop != tt.drop || !strings.Contains(strings.Join(f.Rules, "\n"), tt.rule) {
			t.Errorf("%s: sources %v drop %v rules %q", tt.name, f.SourceRanges, f.Drop, f.Rules)
		}
	}
}
