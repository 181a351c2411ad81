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
// periodic resync. What the speaker does is visible in a per-node
// SpeakerStatus object, in Prometheus metrics, and through GoBGP's API.
package speaker
