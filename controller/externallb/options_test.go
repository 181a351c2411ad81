package externallb

import (
	"strings"
	"testing"
	"time"
)

func TestParsePools(t *testing.T) {
	tests := []struct {
		in   []string
		want string // fmt of the ranges, or the error
	}{
		{[]string{"198.51.100.0/28", "2001:db8:100::/120"}, "[198.51.100.0-198.51.100.15 2001:db8:100::-2001:db8:100::ff]"},
		{[]string{"198.51.100.10-198.51.100.20", "2001:db8::1 - 2001:db8::9"}, "[198.51.100.10-198.51.100.20 2001:db8::1-2001:db8::9]"},
		{[]string{"198.51.100.7"}, "[198.51.100.7]"},
		{[]string{"198.51.100.0/33"}, `pool "198.51.100.0/33" is not a valid prefix`},
		{[]string{"198.51.100.20-198.51.100.10"}, "ends before it starts"},
		{[]string{"198.51.100.1-2001:db8::1"}, "mixes IPv4 and IPv6"},
		{[]string{"nope"}, `pool "nope" is not a CIDR or an a-b range`},
		{[]string{"fe80::1%eth0"}, "has a zone; LB IPs cannot be link-local"},
		{[]string{"198.51.100.0/24", "198.51.100.128-198.51.100.200"}, "pools 198.51.100.0-198.51.100.255 and 198.51.100.128-198.51.100.200 overlap"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.in, ","), func(t *testing.T) {
			got, err := ParsePools(tt.in)
			s := ""
			if err != nil {
				s = err.Error()
			} else {
				s = fmtRanges(got)
			}
			if !strings.Contains(s, tt.want) {
				t.Errorf("got %q, want %q", s, tt.want)
			}
		})
	}
}

func fmtRanges[T interface{ String() string }](rs []T) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.String())
	}
	return "[" + strings.Join(s, " ") + "]"
}

func TestOptionsValidate(t *testing.T) {
	if err := testOptions().Validate(); err != nil {
		t.Errorf("test options: %v", err)
	}
	o := Options{Class: "not a class!", Dir: "relative", Debounce: -time.Second}
	err := o.Validate()
	if err == nil {
		t.Fatal("empty options are valid")
	}
	for _, want := range []string{`load balancer class "not a class!" is not a qualified name`, "no pool", "no device",
		`HAProxy directory "relative" must be an absolute path`, "no HAProxy binary", "check interval 0s", "check fall 0 and rise 0", "debounce -1s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
