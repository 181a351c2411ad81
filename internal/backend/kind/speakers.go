package kind

import (
	"context"
	"fmt"
	"strings"

	"github.com/lblab/lblab/internal/lab"
)

// ProbePath is where the lblab binary lives inside the nodes of every kind
// lab (Provision's copyBinary puts it there), for in-node readers: `lblab
// probe gobgp` on every data plane, `lblab probe ipvs|ipset` on ipvs.
func (b *backend) ProbePath() string { return nodeBinPath }

// speakerPattern matches the speaker's command line inside a node: the
// controller image runs /lblab with the verb as its first argument.
const speakerPattern = "^/lblab speaker( |$)"

// Speakers lets node-failover stop a node's speaker the way a hung node
// would: the speaker process is frozen (SIGSTOP) inside the kind node,
// which sees every pod's processes, so it sends no keepalive and no
// withdrawal and the TOR must notice through the hold timer. Restoring
// sends SIGCONT. Deleting the pod instead would withdraw gracefully.
func (b *backend) Speakers(labName string) lab.SpeakerControl {
	return kindSpeakers{b: b, lab: labName}
}

type kindSpeakers struct {
	b   *backend
	lab string
}

func (s kindSpeakers) StopSpeaker(ctx context.Context, node string) (func(context.Context) error, error) {
	if !strings.HasPrefix(node, s.lab+"-") {
		return nil, fmt.Errorf("%s is not a node of kind lab %s", node, s.lab)
	}
	d, err := s.b.api()
	if err != nil {
		return nil, err
	}
	signal := func(ctx context.Context, sig string) error {
		res, err := d.Exec(ctx, node, []string{"pkill", "-" + sig, "-f", speakerPattern}, nil)
		if err != nil {
			return err
		}
		switch res.ExitCode {
		case 0:
			return nil
		case 1:
			return fmt.Errorf("no speaker process (/lblab speaker) runs on %s", node)
		}
		return fmt.Errorf("pkill -%s on %s exited %d: %s", sig, node, res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	if err := signal(ctx, "STOP"); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error { return signal(ctx, "CONT") }, nil
}
