package bfd

import "time"

// slowTx is the least DesiredMinTxInterval sent while a session is not Up
// (RFC 5880 §6.8.3).
const slowTx = time.Second

// maxInterval is the largest interval the 32-bit microsecond fields hold.
const maxInterval = time.Duration(1<<32-1) * time.Microsecond

// toMicros and fromMicros convert to and from the packet's interval fields.
func toMicros(d time.Duration) uint32 { return uint32(d / time.Microsecond) }

func fromMicros(us uint32) time.Duration { return time.Duration(us) * time.Microsecond }

// txInterval is the interval between periodic packets before jitter: the
// larger of what we want to send at and what the peer can receive
// (RFC 5880 §6.8.7). It is 0 when the peer asked for no packets
// (RequiredMinRxInterval 0).
func txInterval(desiredMinTx, remoteMinRx time.Duration) time.Duration {
	if remoteMinRx == 0 {
		return 0
	}
	return max(desiredMinTx, remoteMinRx)
}

// detectionTime is how long a session in Init or Up waits for a packet
// before it declares the peer down, in asynchronous mode (RFC 5880 §6.8.4):
// the peer's multiplier times the larger of our RequiredMinRxInterval and
// the peer's last DesiredMinTxInterval.
func detectionTime(remoteMult uint8, requiredMinRx, remoteMinTx time.Duration) time.Duration {
	return time.Duration(remoteMult) * max(requiredMinRx, remoteMinTx)
}

// jitter shortens interval to a point in [75%, 100%) of it, or [75%, 90%)
// when the local detect multiplier is 1 (RFC 5880 §6.8.7); u is uniform in
// [0, 1).
func jitter(interval time.Duration, mult uint8, u float64) time.Duration {
	lo, hi := 0.75, 1.0
	if mult == 1 {
		hi = 0.90
	}
	return time.Duration(float64(interval) * (lo + (hi-lo)*u))
}
