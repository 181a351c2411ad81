package bfd

import (
	"math/rand/v2"
	"testing"
	"time"
)

const ms = time.Millisecond

func TestTxInterval(t *testing.T) {
	tests := []struct {
		desired, remoteMinRx, want time.Duration
	}{
		{300 * ms, 300 * ms, 300 * ms},
		{300 * ms, 500 * ms, 500 * ms}, // the peer cannot receive faster
		{time.Second, 300 * ms, time.Second},
		{time.Second, time.Microsecond, time.Second}, // before the first packet
		{300 * ms, 0, 0},                             // the peer wants no packets
	}
	for _, tt := range tests {
		if got := txInterval(tt.desired, tt.remoteMinRx); got != tt.want {
			t.Errorf("txInterval(%v, %v) = %v, want %v", tt.desired, tt.remoteMinRx, got, tt.want)
		}
	}
}

func TestDetectionTime(t *testing.T) {
	tests := []struct {
		mult                    uint8
		requiredMinRx, remoteTx time.Duration
		want                    time.Duration
	}{
		{3, 300 * ms, 300 * ms, 900 * ms},
		{3, 300 * ms, time.Second, 3 * time.Second}, // the peer still sends slowly
		{5, 200 * ms, 50 * ms, time.Second},         // we cannot receive faster
		{1, 300 * ms, 300 * ms, 300 * ms},
		{0, 300 * ms, 300 * ms, 0}, // nothing received yet
	}
	for _, tt := range tests {
		if got := detectionTime(tt.mult, tt.requiredMinRx, tt.remoteTx); got != tt.want {
			t.Errorf("detectionTime(%d, %v, %v) = %v, want %v", tt.mult, tt.requiredMinRx, tt.remoteTx, got, tt.want)
		}
	}
}

func TestJitterBounds(t *testing.T) {
	tests := []struct {
		mult   uint8
		lo, hi time.Duration // [lo, hi)
	}{
		{3, 750 * ms, 1000 * ms},
		{2, 750 * ms, 1000 * ms},
		{1, 750 * ms, 900 * ms},
	}
	for _, tt := range tests {
		if got := jitter(time.Second, tt.mult, 0); got != tt.lo {
			t.Errorf("mult %d: jitter at u=0 is %v, want %v", tt.mult, got, tt.lo)
		}
		if got := jitter(time.Second, tt.mult, 0.999999); got >= tt.hi || got < tt.hi-ms {
			t.Errorf("mult %d: jitter near u=1 is %v, want just under %v", tt.mult, got, tt.hi)
		}
		seen := map[bool]bool{}
		for range 10000 {
			got := jitter(time.Second, tt.mult, rand.Float64())
			if got < tt.lo || got >= tt.hi {
				t.Fatalf("mult %d: jitter %v outside [%v, %v)", tt.mult, got, tt.lo, tt.hi)
			}
			seen[got < (tt.lo+tt.hi)/2] = true
		}
		if len(seen) != 2 {
			t.Errorf("mult %d: jitter did not spread over its range", tt.mult)
		}
	}
}

func TestMicros(t *testing.T) {
	if got := toMicros(300 * ms); got != 300000 {
		t.Errorf("toMicros(300ms) = %d", got)
	}
	if got := fromMicros(300000); got != 300*ms {
		t.Errorf("fromMicros(300000) = %v", got)
	}
}
