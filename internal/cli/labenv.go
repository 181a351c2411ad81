package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/scenarios"
)

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
	if kc := lab.Kubeconfig(name); !st.FabricOnly {
		if _, err := os.Stat(kc); err == nil {
			env.Kubeconfig = kc
		}
	}
	if sb, ok := b.(lab.SpeakerBackend); ok {
		env.SpeakerCtl = sb.Speakers(name)
	}
	if pb, ok := b.(lab.ProbeBackend); ok {
		env.ProbePath = pb.ProbePath()
	}
	return env, st, b, nil
}
