package bfd

import (
	"errors"
	"testing"

	"github.com/google/gopacket/layers"
)

// validPacket is what FRR's bfdd sends while Down, before it knows us.
func validPacket() *layers.BFD {
	return &layers.BFD{
		Version: 1, State: layers.BFDStateDown, DetectMultiplier: 3,
		MyDiscriminator: 0x01020304, DesiredMinTxInterval: 1000000, RequiredMinRxInterval: 300000,
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	p := validPacket()
	p.State, p.YourDiscriminator, p.Poll, p.Diagnostic = layers.BFDStateUp, 0x0a0b0c0d, true, layers.BFDDiagnosticTimeExpired
	b, err := encode(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x21, 0xe0, 3, 24, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d, 0, 0x0f, 0x42, 0x40, 0, 0x04, 0x93, 0xe0, 0, 0, 0, 0}
	if string(b) != string(want) {
		t.Fatalf("encode = % x\nwant     % x", b, want)
	}
	got, err := decode(b, 255)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != p.State || !got.Poll || got.Final || got.MyDiscriminator != p.MyDiscriminator ||
		got.YourDiscriminator != p.YourDiscriminator || got.DesiredMinTxInterval != 1000000 ||
		got.RequiredMinRxInterval != 300000 || got.DetectMultiplier != 3 || got.Diagnostic != p.Diagnostic {
		t.Errorf("decode(encode(p)) = %+v, want %+v", got, p)
	}
}

func TestDecodeDrops(t *testing.T) {
	good, err := encode(validPacket())
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	set := func(f func(p *layers.BFD)) []byte {
		p := validPacket()
		f(p)
		b, err := encode(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		b    []byte
		ttl  int
		want error
	}{
		{"valid", good, 255, nil},
		{"valid with trailing bytes", append(append([]byte(nil), good...), 0, 0), 255, nil},
		{"TTL 254", good, 254, errTTL},
		{"TTL 64", good, 64, errTTL},
		{"TTL unknown", good, -1, errTTL},
		{"short", good[:23], 255, errShort},
		{"version 0", mod(func(b []byte) []byte { b[0] &^= 0xe0; return b }), 255, errVersion},
		{"version 2", mod(func(b []byte) []byte { b[0] = b[0]&0x1f | 2<<5; return b }), 255, errVersion},
		{"length field 23", mod(func(b []byte) []byte { b[3] = 23; return b }), 255, errLength},
		{"length field past payload", mod(func(b []byte) []byte { b[3] = 28; return b }), 255, errLength},
		{"auth bit", mod(func(b []byte) []byte { b[1] |= 0x04; return b }), 255, errAuth},
		{"auth bit, short section", mod(func(b []byte) []byte { b[1] |= 0x04; b[3] = 26; return append(b, 2, 2) }), 255, errAuth},
		{"multiplier 0", set(func(p *layers.BFD) { p.DetectMultiplier = 0 }), 255, errMultiplier},
		{"multipoint", set(func(p *layers.BFD) { p.Multipoint = true }), 255, errMultipoint},
		{"my discriminator 0", set(func(p *layers.BFD) { p.MyDiscriminator = 0 }), 255, errMyDiscr},
		{"your discriminator 0 in Init", set(func(p *layers.BFD) { p.State = layers.BFDStateInit }), 255, errYourDiscr},
		{"your discriminator 0 in Up", set(func(p *layers.BFD) { p.State = layers.BFDStateUp }), 255, errYourDiscr},
		{"your discriminator 0 in AdminDown", set(func(p *layers.BFD) { p.State = layers.BFDStateAdminDown }), 255, nil},
		{"Up with your discriminator", set(func(p *layers.BFD) { p.State, p.YourDiscriminator = layers.BFDStateUp, 9 }), 255, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := decode(tt.b, tt.ttl)
			if !errors.Is(err, tt.want) {
				t.Fatalf("decode: err = %v, want %v", err, tt.want)
			}
			if (p == nil) != (tt.want != nil) {
				t.Errorf("decode returned packet %v with err %v", p, err)
			}
		})
	}
}
