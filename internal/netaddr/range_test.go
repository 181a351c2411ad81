package netaddr

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		in       string
		from, to string
		size     int64
		wantErr  string
	}{
		{in: "198.51.100.0/24", from: "198.51.100.0", to: "198.51.100.255", size: 256},
		{in: "198.51.100.7/24", from: "198.51.100.0", to: "198.51.100.255", size: 256},
		{in: "2001:db8:100::/120", from: "2001:db8:100::", to: "2001:db8:100::ff", size: 256},
		{in: "10.0.0.5-10.0.0.9", from: "10.0.0.5", to: "10.0.0.9", size: 5},
		{in: " fd00::1 - fd00::2 ", from: "fd00::1", to: "fd00::2", size: 2},
		{in: "10.0.0.1", from: "10.0.0.1", to: "10.0.0.1", size: 1},
		{in: "10.0.0.0/33", wantErr: `"10.0.0.0/33" is not a valid prefix`},
		{in: "10.0.0.9-10.0.0.5", wantErr: "ends before it starts"},
		{in: "10.0.0.1-fd00::1", wantErr: "mixes IPv4 and IPv6"},
		{in: "nope", wantErr: "is not a CIDR or an a-b range"},
		{in: "10.0.0.1-x", wantErr: `"x" is not an address`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseRange(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseRange(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.From.String() != tt.from || r.To.String() != tt.to {
				t.Errorf("got %s-%s, want %s-%s", r.From, r.To, tt.from, tt.to)
			}
			if r.Size().Int64() != tt.size {
				t.Errorf("size %s, want %d", r.Size(), tt.size)
			}
		})
	}
}

func TestOverlaps(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"10.0.0.0/24", "10.0.0.255-10.0.1.3", true},
		{"10.0.0.0/24", "10.0.1.0/24", false},
		{"10.0.0.0/8", "10.200.0.0/16", true},
		{"2001:db8::/64", "2001:db8::5", true},
		{"2001:db8::/64", "10.0.0.0/8", false},
		{"::ffff:0:0/96", "10.0.0.0/8", false},
	}
	for _, tt := range tests {
		a, _ := ParseRange(tt.a)
		b, _ := ParseRange(tt.b)
		if got := a.Overlaps(b); got != tt.want {
			t.Errorf("%s overlaps %s = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := b.Overlaps(a); got != tt.want {
			t.Errorf("%s overlaps %s = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestNth(t *testing.T) {
	tests := []struct {
		prefix string
		n      uint64
		want   string
		ok     bool
	}{
		{"10.89.3.0/24", 1, "10.89.3.1", true},
		{"10.89.3.0/24", 255, "10.89.3.255", true},
		{"10.89.3.0/24", 256, "", false},
		{"fd00:89:3::/64", 10, "fd00:89:3::a", true},
		{"255.255.255.0/24", 300, "", false},
	}
	for _, tt := range tests {
		got, ok := Nth(netip.MustParsePrefix(tt.prefix), tt.n)
		if ok != tt.ok || (ok && got.String() != tt.want) {
			t.Errorf("Nth(%s, %d) = %v, %v; want %s, %v", tt.prefix, tt.n, got, ok, tt.want, tt.ok)
		}
	}
}
