package gobgpstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/osrg/gobgp/v4/api"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// DefaultAPI is where lblab's speaker serves GoBGP's API inside a node.
const DefaultAPI = "127.0.0.1:50051"

// State is one speaker's BGP state.
type State struct {
	API        string         `json:"api"`
	Neighbors  []Neighbor     `json:"neighbors"`
	Advertised []netip.Prefix `json:"advertised"` // locally originated, both families
}

// Neighbor is one GoBGP peer.
type Neighbor struct {
	Address  netip.Addr    `json:"address"`
	PeerASN  uint32        `json:"peerASN"`
	LocalASN uint32        `json:"localASN"`
	State    string        `json:"state"` // Established, Active, ...
	Uptime   time.Duration `json:"uptime,omitempty"`
	HoldTime uint64        `json:"holdTime,omitempty"` // negotiated, seconds
	// Families maps "ipv4-unicast"/"ipv6-unicast" to prefix counters.
	Families map[string]Counters `json:"families,omitempty"`
}

// Counters are a family's prefix counts on one session.
type Counters struct {
	Advertised uint64 `json:"advertised"`
	Received   uint64 `json:"received"`
	Accepted   uint64 `json:"accepted"`
}

// Read dials the API at addr and reads the state.
func Read(ctx context.Context, addr string) (*State, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("failed to connect to GoBGP's API at %s: %w", addr, err)
	}
	defer conn.Close()
	c := api.NewGoBgpServiceClient(conn)
	st := &State{API: addr, Neighbors: []Neighbor{}, Advertised: []netip.Prefix{}}
	peers, err := c.ListPeer(ctx, &api.ListPeerRequest{EnableAdvertised: true})
	if err != nil {
		return nil, fmt.Errorf("failed to list GoBGP peers at %s: %w", addr, err)
	}
	for {
		r, err := peers.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("failed to list GoBGP peers at %s (is the speaker running?): %w", addr, err)
		}
		st.Neighbors = append(st.Neighbors, neighbor(r.GetPeer()))
	}
	sort.Slice(st.Neighbors, func(i, j int) bool { return st.Neighbors[i].Address.Less(st.Neighbors[j].Address) })
	for _, afi := range []api.Family_Afi{api.Family_AFI_IP, api.Family_AFI_IP6} {
		paths, err := c.ListPath(ctx, &api.ListPathRequest{TableType: api.TableType_TABLE_TYPE_GLOBAL,
			Family: &api.Family{Afi: afi, Safi: api.Family_SAFI_UNICAST}})
		if err != nil {
			return nil, fmt.Errorf("failed to list GoBGP's RIB at %s: %w", addr, err)
		}
		for {
			r, err := paths.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("failed to list GoBGP's RIB at %s: %w", addr, err)
			}
			for _, p := range r.GetDestination().GetPaths() {
				if p.GetNeighborIp() != "" && p.GetNeighborIp() != "<nil>" && p.GetIsFromExternal() {
					continue // learned, not originated
				}
				if pfx, err := netip.ParsePrefix(r.GetDestination().GetPrefix()); err == nil && !p.GetIsWithdraw() {
					st.Advertised = append(st.Advertised, pfx)
					break
				}
			}
		}
	}
	sort.Slice(st.Advertised, func(i, j int) bool { return st.Advertised[i].Addr().Less(st.Advertised[j].Addr()) })
	return st, nil
}

func neighbor(p *api.Peer) Neighbor {
	n := Neighbor{PeerASN: p.GetConf().GetPeerAsn(), LocalASN: p.GetConf().GetLocalAsn()}
	n.Address, _ = netip.ParseAddr(p.GetConf().GetNeighborAddress())
	n.State = sessionState(p.GetState().GetSessionState())
	if ts := p.GetTimers().GetState(); ts != nil {
		n.HoldTime = ts.GetNegotiatedHoldTime()
		if up := ts.GetUptime(); up != nil && n.State == "Established" && up.GetSeconds() > 0 {
			n.Uptime = time.Since(up.AsTime()).Truncate(time.Second)
		}
	}
	for _, af := range p.GetAfiSafis() {
		s := af.GetState()
		if s == nil || !s.GetEnabled() {
			continue
		}
		if n.Families == nil {
			n.Families = map[string]Counters{}
		}
		n.Families[familyName(s.GetFamily())] = Counters{Advertised: s.GetAdvertised(), Received: s.GetReceived(), Accepted: s.GetAccepted()}
	}
	return n
}

// sessionState names a GoBGP session state the way FRR and RFC 4271 do.
func sessionState(s api.PeerState_SessionState) string {
	name := strings.TrimPrefix(s.String(), "SESSION_STATE_")
	switch name {
	case "OPENSENT":
		return "OpenSent"
	case "OPENCONFIRM":
		return "OpenConfirm"
	}
	if name == "" {
		return "Unknown"
	}
	return strings.ToUpper(name[:1]) + strings.ToLower(name[1:])
}

func familyName(f *api.Family) string {
	afi := map[api.Family_Afi]string{api.Family_AFI_IP: "ipv4", api.Family_AFI_IP6: "ipv6"}[f.GetAfi()]
	if afi == "" {
		afi = f.GetAfi().String()
	}
	safi := strings.ToLower(strings.TrimPrefix(f.GetSafi().String(), "SAFI_"))
	return afi + "-" + safi
}

// Parse parses the JSON `lblab probe gobgp` prints.
func Parse(data []byte) (*State, error) {
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("failed to parse the speaker's BGP state: %w", err)
	}
	return &s, nil
}
