package controllers

import (
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/topology"
)

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		in   topology.ControllerType
		want string
	}{
		{topology.ControllerLBLab, "lblab "},
		{"", "lblab "},
		{topology.ControllerMetalLB, "MetalLB v"},
		{topology.ControllerKubeVIP, "kube-vip v"},
		{topology.ControllerOpenELB, "OpenELB v"},
		{topology.ControllerNone, "none"},
	} {
		if got := Describe(tc.in); !strings.HasPrefix(got, tc.want) {
			t.Errorf("Describe(%q) = %q, want it to start with %q", tc.in, got, tc.want)
		}
	}
}

func TestNoSpeakerAPI(t *testing.T) {
	for _, c := range []topology.ControllerType{topology.ControllerLBLab, topology.ControllerNone} {
		if got := NoSpeakerAPI(c); got != "" {
			t.Errorf("NoSpeakerAPI(%s) = %q, want none: its speakers' GoBGP API is read", c, got)
		}
	}
	for _, c := range []topology.ControllerType{topology.ControllerMetalLB, topology.ControllerKubeVIP, topology.ControllerOpenELB} {
		if got := NoSpeakerAPI(c); !strings.Contains(got, "API") {
			t.Errorf("NoSpeakerAPI(%s) = %q, want why there is no API", c, got)
		}
	}
}

func TestDescribeAll(t *testing.T) {
	one := topology.Controller{Type: topology.ControllerMetalLB}
	if got, want := DescribeAll(one), Describe(topology.ControllerMetalLB); got != want {
		t.Errorf("DescribeAll(one controller) = %q, want %q", got, want)
	}
	two := topology.Controller{Type: topology.ControllerMetalLB,
		Classes: []topology.ClassController{{Type: topology.ControllerLBLab, LoadBalancerClass: "lblab.dev/lb"}}}
	got := DescribeAll(two)
	if !strings.HasPrefix(got, "MetalLB v") || !strings.HasSuffix(got, " for class lblab.dev/lb") || !strings.Contains(got, ", and lblab ") {
		t.Errorf("DescribeAll(MetalLB and lblab) = %q, want both named, lblab with its class", got)
	}
}

func TestDescribeAllL2(t *testing.T) {
	for _, tc := range []struct {
		c    topology.ControllerType
		want string
	}{
		{topology.ControllerMetalLB, "(L2: ARP and NDP, memberlist)"},
		{topology.ControllerKubeVIP, "(services, ARP)"},
	} {
		if got := DescribeAll(topology.Controller{Type: tc.c, Mode: topology.ModeL2}); !strings.Contains(got, tc.want) || strings.Contains(got, "BGP") {
			t.Errorf("DescribeAll(%s in l2) = %q, want %q and no BGP", tc.c, got, tc.want)
		}
	}
}
