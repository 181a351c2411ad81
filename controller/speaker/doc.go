// Package speaker is the Kubernetes side of `lblab speaker`, the per-node
// BGP speaker of the bundled LoadBalancer controller.
//
// It watches Services, EndpointSlices, its own Node, BGPPeers,
// BGPAdvertisements and the BGP password Secrets, and decides which
// LoadBalancer IPs this node announces:
//   - a Service's status.loadBalancer.ingress IPs, for Services the
//     controller handles (class lblab.dev/lb, or annotated with the pool the
//     controller allocated from);
//   - only while the node is eligible: not labelled
//     node.kubernetes.io/exclude-from-external-load-balancers and not
//     NetworkUnavailable;
//   - only while the Service has a ready endpoint: anywhere for
//     externalTrafficPolicy Cluster, on this node for Local;
//   - with the attributes and to the peers of the BGPAdvertisements that
//     select the Service's pool and this node.
//
// Events are handled as they arrive, one Service at a time, and only
// prefixes whose advertisement changed reach the BGP layer (package bgp),
// so a new Service's IP is on the wire within milliseconds and there is no
// periodic resync. What the speaker does is visible three ways:
//
//   - GoBGP's own gRPC API (lblab speaker --gobgp-api, 127.0.0.1:50051 in
//     the node), for the gobgp v4 CLI: `gobgp neighbor`,
//     `gobgp global rib -a ipv4`, `gobgp policy` (per-peer selection);
//   - a SpeakerStatus per node (`kubectl get speakerstatuses`): each
//     session's state, since when, and prefixes sent, and the prefixes the
//     node announces; written on change, at most once per --status-interval,
//     and marked Idle on a clean stop;
//   - Prometheus metrics on --metrics-addr: lblab_speaker_bgp_session_up,
//     lblab_speaker_bgp_session_state_since_seconds,
//     lblab_speaker_bgp_prefixes_advertised and
//     lblab_speaker_bgp_updates_sent_total per peer (read from GoBGP at
//     scrape time), lblab_speaker_bgp_session_transitions_total,
//     lblab_speaker_prefixes_desired, lblab_speaker_prefix_changes_total and
//     lblab_speaker_reconcile_duration_seconds (informer event to BGP layer).
package speaker
