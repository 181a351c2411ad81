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
		{topology.ControllerNone, "none"},
	} {
		if got := Describe(tc.in); !strings.HasPrefix(got, tc.want) {
			t.Errorf("Describe(%q) = %q, want it to start with %q", tc.in, got, tc.want)
		}
	}
}
