package observe

import (
	"context"
	"fmt"

	"github.com/lblab/lblab/internal/gobgpstate"
	"github.com/lblab/lblab/internal/lab"
)

// Speaker reads a node's speaker through GoBGP's API, by running `lblab
// probe gobgp` inside the node.
func Speaker(ctx context.Context, n lab.Node, probe string) (*gobgpstate.State, Output, error) {
	if probe == "" {
		return nil, Output{}, fmt.Errorf("%w to read GoBGP's API with", errNoProbe)
	}
	o, err := command(ctx, n, probe, "probe", "gobgp")
	if err != nil {
		return nil, o, err
	}
	st, err := gobgpstate.Parse(o.Data)
	return st, o, err
}
