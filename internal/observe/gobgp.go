package observe

import (
	"context"
	"fmt"

	"github.com/lblab/lblab/internal/gobgpstate"
	"github.com/lblab/lblab/internal/lab"
)

// SpeakerAt reads a speaker through GoBGP's API at api inside the node
// ("" the LB speaker's; a control-plane node's VIP speaker has its own),
// by running `lblab probe gobgp` there.
func SpeakerAt(ctx context.Context, n lab.Node, probe, api string) (*gobgpstate.State, Output, error) {
	if probe == "" {
		return nil, Output{}, fmt.Errorf("%w to read GoBGP's API with", errNoProbe)
	}
	args := []string{"probe", "gobgp"}
	if api != "" {
		args = append(args, "--api="+api)
	}
	o, err := command(ctx, n, probe, args...)
	if err != nil {
		return nil, o, err
	}
	st, err := gobgpstate.Parse(o.Data)
	return st, o, err
}
