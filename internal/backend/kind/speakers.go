package kind

import (
	"context"
	"fmt"
	"strings"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// ProbePath is where the lblab binary lives inside the nodes of every kind
// lab (Provision's copyBinary puts it there), for in-node readers: `lblab
// probe gobgp` on every data plane, `lblab probe ipvs|ipset` on ipvs.
func (b *backend) ProbePath() string { return nodeBinPath }

// speakerPattern matches the speaker's command line inside a node: the
// controller image runs /lblab with the verb as its first argument.
const speakerPattern = "^/lblab speaker( |$)"

// upstreamSpeakerPatterns match the other controllers' speakers as their
// images start them (deployUpstream): MetalLB's speaker and kube-vip run
// their Dockerfiles' ENTRYPOINT (/speaker; /kube-vip with `manager`), and
// OpenELB's manager its manifest's command.
var upstreamSpeakerPatterns = map[topology.ControllerType]string{
	topology.ControllerMetalLB: "^/speaker( |$)",
	topology.ControllerKubeVIP: "^/kube-vip manager( |$)",
	topology.ControllerOpenELB: "^openelb-manager( |$)",
}

// Speakers lets node-failover stop a node's speaker the way a hung node
// would: the speaker process is frozen (SIGSTOP) inside the kind node,
// which sees every pod's processes, so it sends no keepalive and no
// withdrawal and the TOR must notice through the hold timer. Restoring
// sends SIGCONT. Deleting the pod instead would withdraw gracefully. The
// speaker is the lab's controller's (lblab's when its topology cannot be
// read).
func (b *backend) Speakers(labName string) lab.SpeakerControl {
	pattern := speakerPattern
	if t, err := lab.LoadTopology(labName); err == nil {
		if p, ok := upstreamSpeakerPatterns[t.Controller.Type]; ok {
			pattern = p
		}
	}
	return kindSpeakers{b: b, lab: labName, pattern: pattern}
}

type kindSpeakers struct {
	b       *backend
	lab     string
	pattern string // pkill -f's
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
		res, err := d.Exec(ctx, node, []string{"pkill", "-" + sig, "-f", s.pattern}, nil)
		if err != nil {
			return err
		}
		switch res.ExitCode {
		case 0:
			return nil
		case 1:
			return fmt.Errorf("no speaker process (matching %q) runs on %s", s.pattern, node)
		}
		return fmt.Errorf("pkill -%s on %s exited %d: %s", sig, node, res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	if err := signal(ctx, "STOP"); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error { return signal(ctx, "CONT") }, nil
}
