package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/scenarios"
)

// speakerBackend is implemented by backends that can stop and restore a
// node's speaker for node-failover (the kind backend: delete the pod).
type speakerBackend interface {
	Speakers(labName string) scenarios.SpeakerControl
}

// probeBackend is implemented by backends whose nodes hold the lblab
// binary at a known path (the kind backend copies it into the nodes).
type probeBackend interface {
	ProbePath() string
}

// openLab loads a running lab as the checks and inspectors see it.
func openLab(ctx context.Context, name string) (*scenarios.LiveEnv, *lab.State, lab.Backend, error) {
	st, b, err := existingLab(name)
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := lab.LoadTopology(name)
	if err != nil {
		return nil, nil, nil, &exitError{code: 2, err: fmt.Errorf("lab %q has no saved topology (%v); run `lblab up --name %s` again", name, err, name)}
	}
	t.Dataplane = st.Dataplane
	hosts, err := b.Nodes(ctx, name)
	if err != nil {
		return nil, nil, nil, err
	}
	env := &scenarios.LiveEnv{LabName: name, Topo: t, HostList: hosts}
	if kc := lab.StateDir(name) + "/kubeconfig"; !st.FabricOnly {
		if _, err := os.Stat(kc); err == nil {
			env.Kubeconfig = kc
		}
	}
	switch sb := b.(type) {
	case speakerBackend:
		env.SpeakerCtl = sb.Speakers(name)
	default:
		if b.Name() == "netns" {
			env.SpeakerCtl = scenarios.NetnsSpeakers{Lab: name}
		}
	}
	if pb, ok := b.(probeBackend); ok {
		env.ProbePath = pb.ProbePath()
	} else if b.Name() == "netns" {
		// netns nodes share the host's file system: the running binary is there.
		if exe, err := os.Executable(); err == nil {
			env.ProbePath = exe
		}
	}
	return env, st, b, nil
}
