package frr

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// BFDPeer is one of bfdd's sessions, from `show bfd peers json`.
type BFDPeer struct {
	Peer      netip.Addr `json:"peer"`
	Local     netip.Addr `json:"local,omitzero"`
	Interface string     `json:"interface,omitempty"`
	// Status is bfdd's word for the state: up, down, init or shutdown.
	Status           string `json:"status"`
	Diagnostic       string `json:"diagnostic,omitempty"`
	RemoteDiagnostic string `json:"remoteDiagnostic,omitempty"`
	// Since is how long the session has been up, or down.
	Since time.Duration `json:"since"`
	// The negotiated timers: what bfdd sends and expects, and the
	// neighbour's multiplier, which sets bfdd's detection time.
	TransmitInterval time.Duration `json:"transmitInterval"`
	ReceiveInterval  time.Duration `json:"receiveInterval"`
	DetectMultiplier int           `json:"detectMultiplier"`
}

// Up reports whether the session is up.
func (p BFDPeer) Up() bool { return p.Status == "up" }

type frrBFDPeer struct {
	Peer             string `json:"peer"`
	Local            string `json:"local"`
	Interface        string `json:"interface"`
	Status           string `json:"status"`
	Uptime           int64  `json:"uptime"`   // seconds, while up
	Downtime         int64  `json:"downtime"` // seconds, while down
	Diagnostic       string `json:"diagnostic"`
	RemoteDiagnostic string `json:"remote-diagnostic"`
	TransmitInterval int64  `json:"transmit-interval"` // ms
	ReceiveInterval  int64  `json:"receive-interval"`  // ms
	DetectMultiplier int    `json:"detect-multiplier"`
}

// ParseBFDPeers parses `show bfd peers json`.
func ParseBFDPeers(data []byte) ([]BFDPeer, error) {
	var raw []frrBFDPeer
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("failed to parse bfdd's peers: %w", err)
	}
	out := make([]BFDPeer, 0, len(raw))
	for _, r := range raw {
		peer, err := netip.ParseAddr(r.Peer)
		if err != nil {
			return nil, fmt.Errorf("bfdd peer %q is not an address", r.Peer)
		}
		p := BFDPeer{Peer: peer, Interface: r.Interface, Status: r.Status, Diagnostic: r.Diagnostic,
			RemoteDiagnostic: r.RemoteDiagnostic, DetectMultiplier: r.DetectMultiplier,
			TransmitInterval: time.Duration(r.TransmitInterval) * time.Millisecond,
			ReceiveInterval:  time.Duration(r.ReceiveInterval) * time.Millisecond}
		if a, err := netip.ParseAddr(r.Local); err == nil {
			p.Local = a
		}
		p.Since = time.Duration(max(r.Uptime, r.Downtime)) * time.Second
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b BFDPeer) int { return a.Peer.Compare(b.Peer) })
	return out, nil
}
