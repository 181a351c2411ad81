// Package bfd is the speaker's Bidirectional Forwarding Detection: RFC 5880
// in asynchronous mode over single-hop UDP (RFC 5881), for IPv4 and IPv6,
// so that a speaker and the TOR's FRR bfdd notice a dead neighbour within
// milliseconds instead of the BGP hold time. GoBGP has no BFD of its own;
// the speaker runs a Session per BGP peer whose BGPPeer asks for BFD
// (controller/speaker/bgp/bfd.go) and starts the BGP session over as soon
// as the Session leaves Up.
//
// # Use
//
//	srv := bfd.NewServer() // one per speaker: it owns the port 3784 sockets
//	s, err := bfd.New(bfd.Config{Local: nodeIP, Peer: torIP, Server: srv,
//		MinTx: 300 * time.Millisecond, MinRx: 300 * time.Millisecond, Multiplier: 3})
//	changes := s.Subscribe()
//	go s.Run(ctx)  // until ctx is done, then AdminDown to the peer
//	for c := range changes { if c.Old == bfd.Up { /* reset the BGP peer */ } }
//
// Run makes its sockets in the network namespace of the calling thread.
// State and Status report the session for SpeakerStatus and inspect.
//
// # Design
//
// A Server holds one UDP listener on port 3784 per local address (and
// interface), opened with the first Session on it and closed with the
// last. Its reader checks each packet (TTL or hop limit 255 from the
// socket's control messages, then the header checks of RFC 5880 §6.8.6)
// and hands it to its Session by Your Discriminator, or by source address
// while that is 0. Each Session sends from a socket of its own, bound to
// its local address and a random source port in 49152–65535 kept for its
// life, with TTL and hop limit 255; with Config.Interface both sockets are
// bound to the interface (SO_BINDTODEVICE). Packets are encoded and decoded
// with gopacket's BFD layer (github.com/google/gopacket/layers).
//
// Each Session is one goroutine: received packets, a jittered transmit
// timer and the detection timer, with the state (the bfd.* variables of
// RFC 5880 §6.8.1) behind a mutex so State, Status and Subscribe are safe
// from anywhere. Files: state.go is the state machine (the table of
// §6.8.6) and StateChange; timers.go the interval arithmetic; packet.go the
// codec and validation; machine.go reception, transmission and timers;
// session.go the API; server.go and socket.go the sockets and demux.
//
// # What is implemented
//
//   - States AdminDown, Down, Init, Up and the three-way handshake; random
//     nonzero local discriminators, unique per Server; diagnostics 1
//     (detection time expired), 3 (neighbour signalled down) and 7 (admin
//     down, sent when Run ends).
//   - Timer negotiation: packets go out every max(DesiredMinTx, the peer's
//     RequiredMinRx), jittered to 75–100% (75–90% with multiplier 1), none
//     when the peer's RequiredMinRx is 0; DesiredMinTx is at least 1 s while
//     not Up (§6.8.3); the detection time is the peer's multiplier times
//     max(our RequiredMinRx, the peer's DesiredMinTx) (§6.8.4), after which
//     an Init or Up session goes Down and forgets the peer's discriminator.
//   - Poll/Final: entering Up lowers DesiredMinTx to Config.MinTx with a
//     Poll Sequence (P on every packet until an F arrives); a received Poll
//     is answered at once with Final. A state change is sent at once too,
//     without waiting for the transmit timer.
//   - Reception checks: version 1, length, detect multiplier, multipoint,
//     my discriminator nonzero, your discriminator nonzero unless Down or
//     AdminDown, the A bit (dropped: no authentication), TTL 255; plus the
//     source address must be the session's peer.
//
// # What is not
//
//   - Demand mode (the D bit is never sent and is ignored when received),
//     the Echo function (RequiredMinEchoRx is sent as 0), authentication
//     (packets with the A bit are dropped), multihop (RFC 5883, port 4784),
//     and the passive role.
//   - Changing a running session's timers: Config is fixed for the life of
//     the Session (start a new one); RequiredMinRx never changes, so no
//     Poll Sequence is needed for it.
//   - Two sessions on one local address with different Interface settings:
//     their listeners would both want address:3784.
//
// # Tests
//
// Unit tests cover the §6.8.6 table, negotiation, detection time, jitter,
// validation and demux; two Sessions run against each other over
// 127.0.0.1 and ::1; TestIntegrationBFDAgainstFRR runs FRR's bfdd in one
// network namespace and Sessions in another, joined by a veth, and measures
// how fast each side sees the other die.
package bfd
