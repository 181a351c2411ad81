package topology

import (
	"fmt"
	"slices"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// ClassDefaultControllers are the controller.type values a lab with
// controller.classes has been run with: the default controller must
// ignore Services of another class and speak BGP from the nodes' first
// addresses, as MetalLB does (it handles only class-less Services unless
// given --lb-class).
var ClassDefaultControllers = []ControllerType{ControllerMetalLB}

// validateClasses checks controller.classes against controller.type and
// mode, and returns their pools' address blocks for the overlap check.
func validateClasses(e *errs, c *Controller, fam IPFamily) []subnet {
	if len(c.Classes) == 0 {
		return nil
	}
	switch {
	case c.Mode != ModeBGP:
		e.add("controller.classes", "controller.mode is %s; a second controller needs BGP sessions of its own to be told apart at the TOR, so use mode bgp", c.Mode)
	case !slices.Contains(ClassDefaultControllers, c.Type):
		e.add("controller.classes", "controller.type %s beside a class controller is not supported (supported: %v); it handles the class-less Services", c.Type, ClassDefaultControllers)
	}
	if len(c.Classes) > 1 {
		e.add("controller.classes", "%d class controllers; one is supported (lblab, class %s)", len(c.Classes), v1alpha1.LoadBalancerClass)
	}
	names := map[string]bool{}
	for _, p := range c.Pools {
		names[p.Name] = true
	}
	var out []subnet
	for i, cl := range c.Classes {
		path := fmt.Sprintf("controller.classes[%d]", i)
		if cl.Type != ControllerLBLab {
			e.add(path+".type", "%q: only lblab runs as a class controller (it handles loadBalancerClass %s)", cl.Type, v1alpha1.LoadBalancerClass)
		}
		if cl.LoadBalancerClass != v1alpha1.LoadBalancerClass {
			e.add(path+".loadBalancerClass", "%q: lblab's controller handles the class %s only", cl.LoadBalancerClass, v1alpha1.LoadBalancerClass)
		}
		if len(cl.Pools) == 0 {
			e.add(path+".pools", "required: the class controller allocates from pools of its own")
		}
		out = append(out, validatePools(e, path+".pools", cl.Pools, fam, names)...)
	}
	return out
}

// classOf returns the class controller of a workload's Service class, or
// nil for the default controller ("").
func (c *Controller) classOf(class string) *ClassController {
	for i := range c.Classes {
		if c.Classes[i].LoadBalancerClass == class {
			return &c.Classes[i]
		}
	}
	return nil
}

// FabricAddrsPerNode is how many addresses each node has on the fabric:
// one, and one more per class controller (its speakers' source).
func (t *Topology) FabricAddrsPerNode() int {
	n := 1 + len(t.Controller.Classes)
	if t.ControlPlane != nil && t.Controller.Mode != ModeL2 {
		n++ // the VIP speaker's BGP source, on control-plane nodes
	}
	return n
}
