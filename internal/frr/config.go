package frr

import (
	"bytes"
	"fmt"
	"net/netip"
	"text/template"

	"github.com/lblab/lblab/fixtures"
	"github.com/lblab/lblab/internal/topology"
)

// Config is what frr.conf is rendered from.
type Config struct {
	Lab      string
	Hostname string
	LogFile  string
	ASN      uint32
	RouterID netip.Addr
	// NodeASN is the nodes' AS. Routes whose AS path holds it are not
	// sent back to the nodes, which would only keep and reject them for
	// the loop; 0 sends everything.
	NodeASN       uint32
	ListenRanges  []netip.Prefix // node subnets; every node peers dynamically
	MaximumPaths  int
	KeepaliveTime int
	HoldTime      int
	// BFD, when set, runs BFD with these timers on every node session.
	BFD *BFD
}

// BFD is bfdd's profile for the node sessions, in milliseconds.
type BFD struct {
	TransmitInterval, ReceiveInterval, DetectMultiplier int
}

// BFDOf is the profile of a topology's tor.bfd; nil when BFD is off.
func BFDOf(b *topology.BFD) *BFD {
	if b == nil {
		return nil
	}
	return &BFD{TransmitInterval: b.TransmitInterval, ReceiveInterval: b.ReceiveInterval, DetectMultiplier: b.DetectMultiplier}
}

// Render renders frr.conf.
func Render(c Config) ([]byte, error) {
	if !c.RouterID.Is4() {
		return nil, fmt.Errorf("router ID %v is not an IPv4 address", c.RouterID)
	}
	if len(c.ListenRanges) == 0 {
		return nil, fmt.Errorf("no listen range: the TOR needs at least one node subnet")
	}
	src, err := fixtures.Read("frr/frr.conf.tmpl")
	if err != nil {
		return nil, err
	}
	tmpl, err := template.New("frr.conf").Option("missingkey=error").Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("failed to parse frr.conf template: %w", err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, c); err != nil {
		return nil, fmt.Errorf("failed to render frr.conf: %w", err)
	}
	return b.Bytes(), nil
}
