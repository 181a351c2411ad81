package kind

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lblab/lblab/internal/lab"
)

// Check refuses, before anything is created, a lab this backend cannot run:
// no Docker, node labels the kubelet may not set, or a kind network that
// lacks a family or overlaps the topology's pools and subnets.
func (b *backend) Check(ctx context.Context, l *lab.Lab) error {
	var problems []string
	if l.Options.FabricOnly {
		problems = append(problems, "--fabric-only is not available on the kind backend: the kind network comes with the cluster; "+
			"use the netns backend for a fabric-only lab")
	}
	problems = append(problems, badNodeLabels(l.Topology)...)
	if l.Topology.ExternalLB != nil {
		problems = append(problems, "externalLB: the kind backend has no lb host yet; use --backend netns (the default)")
	}
	if l.Topology.ControlPlane != nil {
		problems = append(problems, "controlPlane: the kind backend does not announce an API server VIP yet (kind puts its own HAProxy in front of several control-plane nodes); use --backend netns (the default)")
	}
	if len(l.Topology.Controller.Classes) > 0 {
		problems = append(problems, "controller.classes: the kind backend does not run a class controller beside controller.type yet "+
			"(its speakers need a second address on every node); use the netns backend (--backend netns) for a lab with two controllers")
	}
	if err := b.available(ctx); err != nil {
		// Without Docker nothing else can be checked; say that first.
		if len(problems) == 0 {
			return err
		}
		return fmt.Errorf("%w\n  - %s", err, strings.Join(problems, "\n  - "))
	}
	subnets, ok, err := b.docker.Network(ctx, b.network)
	if err != nil {
		return err
	}
	if ok {
		problems = append(problems, networkProblems(l.Topology, b.network, subnets)...)
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New("the kind backend cannot run this lab:\n  - " + strings.Join(problems, "\n  - "))
}
