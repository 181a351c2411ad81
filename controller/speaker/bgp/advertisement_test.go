package bgp

import (
	"net/netip"
	"testing"
)

func TestParseCommunity(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "65535:65281", want: "65535:65281"},
		{in: "0:0", want: "0:0"},
		{in: "64500:1:2", want: "64500:1:2"},
		{in: "4294967295:4294967295:4294967295", want: "4294967295:4294967295:4294967295"},
		{in: "no-export", want: "65535:65281"},
		{in: "NO-ADVERTISE", want: "65535:65282"},
		{in: "65536:1", wantErr: true},
		{in: "1:2:3:4", wantErr: true},
		{in: "1", wantErr: true},
		{in: "a:b", wantErr: true},
		{in: "4294967296:1:1", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		c, err := ParseCommunity(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseCommunity(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && c.String() != tt.want {
			t.Errorf("ParseCommunity(%q) = %s, want %s", tt.in, c, tt.want)
		}
	}
}

func TestAdvertisementEqual(t *testing.T) {
	ip := netip.MustParseAddr("198.51.100.1")
	c := func(ss ...string) []Community {
		cs, err := ParseCommunities(ss)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	base := NewAdvertisement(ip, c("1:1", "2:2"), 0, []string{"a", "b"})
	tests := []struct {
		name  string
		other Advertisement
		equal bool
	}{
		{"same", NewAdvertisement(ip, c("1:1", "2:2"), 0, []string{"a", "b"}), true},
		{"order and duplicates do not matter", NewAdvertisement(ip, c("2:2", "1:1", "2:2"), 0, []string{"b", "a", "a"}), true},
		{"IPv4-mapped address", NewAdvertisement(netip.MustParseAddr("::ffff:198.51.100.1"), c("1:1", "2:2"), 0, []string{"a", "b"}), true},
		{"other prefix", NewAdvertisement(netip.MustParseAddr("198.51.100.2"), c("1:1", "2:2"), 0, []string{"a", "b"}), false},
		{"other community", NewAdvertisement(ip, c("1:1"), 0, []string{"a", "b"}), false},
		{"large vs standard", NewAdvertisement(ip, c("1:1", "0:2:2"), 0, []string{"a", "b"}), false},
		{"local pref", NewAdvertisement(ip, c("1:1", "2:2"), 100, []string{"a", "b"}), false},
		{"peers", NewAdvertisement(ip, c("1:1", "2:2"), 0, nil), false},
	}
	for _, tt := range tests {
		if got := base.Equal(tt.other); got != tt.equal {
			t.Errorf("%s: Equal = %v, want %v (%s vs %s)", tt.name, got, tt.equal, base, tt.other)
		}
	}
	if p := base.Prefix; p.Bits() != 32 {
		t.Errorf("prefix %s is not a /32", p)
	}
	if p := NewAdvertisement(netip.MustParseAddr("2001:db8::1"), nil, 0, nil).Prefix; p.String() != "2001:db8::1/128" {
		t.Errorf("IPv6 prefix = %s, want 2001:db8::1/128", p)
	}
	if !NewAdvertisement(ip, nil, 0, nil).To("any") || base.To("c") || !base.To("a") {
		t.Error("To: empty Peers must mean every peer, and a list only its members")
	}
}
