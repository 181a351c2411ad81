package controllers

import (
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/topology"
	"github.com/lblab/lblab/internal/version"
)

// Describe names a lab's controller and its version: "lblab v0.3.0",
// "MetalLB v0.15.2 (native BGP)", or "none (installed by hand)".
func Describe(t topology.ControllerType) string {
	switch t {
	case topology.ControllerLBLab, "":
		return "lblab " + version.Version
	case topology.ControllerMetalLB:
		return "MetalLB " + components.MetalLBVersion + " (native BGP)"
	case topology.ControllerNone:
		return "none (installed by hand)"
	}
	return string(t)
}
