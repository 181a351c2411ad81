package cli

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// nodesBackend answers Nodes; its other methods are not called.
type nodesBackend struct {
	lab.Backend
	nodes []lab.Node
	err   error
}

func (b nodesBackend) Nodes(context.Context, string) ([]lab.Node, error) { return b.nodes, b.err }

func TestTORAddrs(t *testing.T) {
	tor := []netip.Addr{netip.MustParseAddr("172.18.0.5"), netip.MustParseAddr("fc00:f853:ccd:e793::5")}
	for _, tc := range []struct {
		name    string
		b       nodesBackend
		want    []netip.Addr
		wantErr string
	}{
		{name: "the TOR's addresses", b: nodesBackend{nodes: []lab.Node{
			{Name: "node1", Role: lab.RoleWorker, Addrs: []netip.Addr{netip.MustParseAddr("172.18.0.3")}},
			{Name: "tor", Role: lab.RoleTOR, Addrs: tor}}}, want: tor},
		{name: "the backend cannot list nodes", b: nodesBackend{err: errors.New("no daemon answers")},
			wantErr: "failed to find the TOR's addresses for the BGPPeers: no daemon answers"},
		{name: "no TOR", b: nodesBackend{nodes: []lab.Node{{Name: "node1", Role: lab.RoleWorker}}},
			wantErr: `lab "lab1" has no TOR with an address to peer with`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := torAddrs(context.Background(), tc.b, "lab1")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("torAddrs = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestControllerActionsClasses: a lab with a class controller installs
// lblab's objects after MetalLB's and before the one Deploy that starts
// both; a lab without one gets MetalLB's actions only.
func TestControllerActionsClasses(t *testing.T) {
	for _, tc := range []struct {
		topo string
		want []string
	}{
		{"bgp-ecmp", []string{"Installing MetalLB", "Starting MetalLB's controller and speakers"}},
		{"lb-class", []string{"Installing MetalLB", "Installing lblab's CRDs, RBAC, pools and peers (the controller of class lblab.dev/lb)",
			"Starting MetalLB's controller and speakers"}},
	} {
		top, err := topology.Load(tc.topo)
		if err != nil {
			t.Fatal(err)
		}
		top.Controller.Type = topology.ControllerMetalLB
		acts := controllerActions(nodesBackend{}, &lab.Lab{Topology: top})
		var got []string
		for _, a := range acts {
			got = append(got, a.Name)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: actions %q, want %q", tc.topo, got, tc.want)
		}
		for i := range got {
			if !strings.HasPrefix(got[i], tc.want[i]) {
				t.Errorf("%s: action %d is %q, want it to start with %q", tc.topo, i, got[i], tc.want[i])
			}
		}
	}
}
