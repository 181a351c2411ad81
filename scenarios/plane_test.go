package scenarios

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/topology"
)

// TestReadPlaneIPTablesOrder: iptables planes read IPv4 first every time
// (the error of a node whose commands all fail names iptables-save), and a
// family that was not read is an error, not a nil ruleset.
func TestReadPlaneIPTablesOrder(t *testing.T) {
	for i := 0; i < 20; i++ {
		rec := &run.Recorder{}
		rec.Fail("iptables-save", 1, "no")
		rec.Fail("ip6tables-save", 1, "no")
		_, err := ReadPlane(context.Background(), nil, topology.DataplaneIPTables, lab.Node{Name: "node1", Runner: rec}, true, true)
		if err == nil || !strings.Contains(err.Error(), "failed to run iptables-save on node1") {
			t.Fatalf("both families failing: %v", err)
		}
	}
	rec := &run.Recorder{}
	rec.Respond("iptables-save -c", "*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n")
	plane, err := ReadPlane(context.Background(), nil, topology.DataplaneIPTables, lab.Node{Name: "node1", Runner: rec}, true, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plane(netip.MustParseAddr("2001:db8:100::"), "tcp", 80); err == nil || !strings.Contains(err.Error(), "IPv6 rules of node1 were not read") {
		t.Errorf("an IPv6 target on a plane read for IPv4 only: %v", err)
	}
}
