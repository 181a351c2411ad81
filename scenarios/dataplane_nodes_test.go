package scenarios

import (
	"slices"
	"testing"

	"github.com/lblab/lblab/internal/lab"
)

// The control plane of an ipvs lab on uml workers runs no kube-proxy: its
// rules are not read, and every other node's are.
func TestDataplaneNodes(t *testing.T) {
	nodes := []lab.Node{
		{Name: "control-plane", Role: lab.RoleControlPlane, NoDataplane: true},
		{Name: "node1", Role: lab.RoleWorker, Kernel: "uml"},
		{Name: "node2", Role: lab.RoleWorker, Kernel: "uml"},
	}
	if got := names(dataplaneNodes(nodes)); !slices.Equal(got, []string{"node1", "node2"}) {
		t.Errorf("dataplaneNodes = %v", got)
	}
	nodes[0].NoDataplane = false
	if got := names(dataplaneNodes(nodes)); len(got) != 3 {
		t.Errorf("dataplaneNodes = %v, want all three", got)
	}
	if got := dataplaneNodes(nil); len(got) != 0 {
		t.Errorf("no nodes gave %v", got)
	}
	// With no node left, the judge fails rather than passing on nothing.
	if o := JudgeRules(&Cluster{}, names(dataplaneNodes([]lab.Node{{Name: "cp", NoDataplane: true}})), nil, "ipvs"); o.Status != Failed {
		t.Errorf("no data-plane node: %s, want failed", o.Status)
	}
}
