package cilium

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// captured returns an ebpf lab's maps (testdata/README.md).
func captured(t *testing.T) ([]Frontend, SourceRanges) {
	t.Helper()
	fes := parseFile(t, "bpf-lb-list.lab-dual.json")
	data, err := os.ReadFile(filepath.Join("testdata", "bpf-lb-list-source-ranges.lab-dual.json"))
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
	fes, ranges := captured(t)
	if got := fmt.Sprint(ranges[49], ranges[50], len(ranges)); got != "[192.0.2.0/24] [2001:db8:2::/64] 8" {
		t.Errorf("parsed %v", ranges)
	}
	for _, tt := range []struct {
		ip   string
		port uint16
		want string
	}{
		{"198.51.100.0", 80, "[]"}, // no check flag: every source
		{"198.51.100.2", 8080, "[192.0.2.0/24]"},
		{"2001:db8:100::2", 8080, "[2001:db8:2::/64]"},
	} {
		f, ok := Lookup(fes, netip.MustParseAddr(tt.ip), "tcp", tt.port)
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
	fes, ranges := captured(t)
	checked, _ := Lookup(fes, netip.MustParseAddr("198.51.100.2"), "tcp", 8080)
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
		{"check flag without entries", checked, nil, "[]", true, "source ranges (rev-NAT 49): []"},
		{"a deny list", &deny, ranges, "[]", false, "are a deny list"},
	} {
		f := tt.fe.Frontend(tt.ranges)
		if fmt.Sprint(f.SourceRanges) != tt.sources || f.Drop != tt.drop || !strings.Contains(strings.Join(f.Rules, "\n"), tt.rule) {
			t.Errorf("%s: sources %v drop %v rules %q", tt.name, f.SourceRanges, f.Drop, f.Rules)
		}
	}
}
