package cli

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/lab"
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
