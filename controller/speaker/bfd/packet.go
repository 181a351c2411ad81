package bfd

import (
	"errors"
	"fmt"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Port is the UDP destination port of single-hop BFD control packets
// (RFC 5881 §4).
const Port = 3784

// requiredTTL is the only TTL or hop limit single-hop BFD sends and accepts
// (RFC 5881 §5, GTSM).
const requiredTTL = 255

// Source ports of control packets are taken from this range (RFC 5881 §4).
const (
	minSourcePort = 49152
	maxSourcePort = 65535
)

const headerLen = 24 // the mandatory section, without authentication

// Reasons a received packet is dropped before it reaches a session.
var (
	errTTL           = errors.New("TTL or hop limit is not 255")
	errShort         = errors.New("shorter than 24 bytes")
	errVersion       = errors.New("version is not 1")
	errLength        = errors.New("length field is out of range")
	errAuth          = errors.New("authentication is not in use")
	errMultiplier    = errors.New("detect multiplier is 0")
	errMultipoint    = errors.New("multipoint bit is set")
	errMyDiscr       = errors.New("my discriminator is 0")
	errYourDiscr     = errors.New("your discriminator is 0 in state Init or Up")
	errNoSession     = errors.New("no session for the packet")
	errReceiverBusy  = errors.New("session is not keeping up")
	errDecodeGeneric = errors.New("cannot be decoded")
)

// encode serializes p with gopacket's BFD codec.
func encode(p *layers.BFD) ([]byte, error) {
	buf := gopacket.NewSerializeBuffer()
	if err := p.SerializeTo(buf, gopacket.SerializeOptions{}); err != nil {
		return nil, fmt.Errorf("failed to encode BFD packet: %w", err)
	}
	return buf.Bytes(), nil
}

// decode parses a received control packet and applies the checks of
// RFC 5880 §6.8.6 that need no session, and RFC 5881's TTL rule. ttl is
// the received TTL or hop limit, -1 when unknown.
func decode(b []byte, ttl int) (*layers.BFD, error) {
	if ttl != requiredTTL {
		return nil, errTTL
	}
	if len(b) < headerLen {
		return nil, errShort
	}
	if b[0]>>5 != 1 {
		return nil, errVersion
	}
	// The A bit is checked on the raw byte: with no authentication in use
	// such packets are discarded (§6.8.6), and gopacket's auth section
	// parser is not hardened against short sections.
	if b[1]&0x04 != 0 {
		return nil, errAuth
	}
	n := int(b[3])
	if n < headerLen || n > len(b) {
		return nil, errLength
	}
	var p layers.BFD
	if err := p.DecodeFromBytes(b[:n], gopacket.NilDecodeFeedback); err != nil {
		return nil, fmt.Errorf("%w: %v", errDecodeGeneric, err)
	}
	switch {
	case p.DetectMultiplier == 0:
		return nil, errMultiplier
	case p.Multipoint:
		return nil, errMultipoint
	case p.MyDiscriminator == 0:
		return nil, errMyDiscr
	case p.YourDiscriminator == 0 && p.State != layers.BFDStateDown && p.State != layers.BFDStateAdminDown:
		return nil, errYourDiscr
	}
	return &p, nil
}
