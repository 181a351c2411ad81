// Package externallb is the LoadBalancer controller of the external-lb
// topology, run as `lblab lb-controller` on the lb host: an L4 load
// balancer one router hop away from the nodes, forwarding each Service's
// LB IP and port to NodeIP:NodePort of the eligible nodes, the way an
// on-premises HAProxy or a cloud provider's L4 load balancer fronts
// NodePorts.
//
// Like a cloud provider's service controller it handles the Services of
// type LoadBalancer whose spec.loadBalancerClass is its class
// (lblab.dev/external by default) and no others: class-less Services and
// other classes never get a finalizer, a status or an event from it. For
// each one it adds the finalizer service.kubernetes.io/load-balancer-cleanup
// before anything else, allocates one LB IP per family of spec.ipFamilies
// from its pools (keeping the address the status already holds, so a
// restart moves nothing, and honouring a valid spec.loadBalancerIP), and
// writes status.loadBalancer.ingress with ipMode Proxy. It records
// EnsuringLoadBalancer, EnsuredLoadBalancer, DeletingLoadBalancer,
// DeletedLoadBalancer and AllocationFailed events, as the cloud
// controller does.
//
// Syncing is level-based: every change of a Service of the class or of a
// node's eligibility (after a short debounce), and a timer, recompute the
// whole lb host from the informer caches and hand it to a Programmer in
// one Apply: the LB IPs on the device (/32 and /128) and one HAProxy
// configuration with a frontend per LB IP and TCP port
// (<namespace>_<name>_<port>_<v4|v6>) whose servers are the eligible
// nodes of that family at NodeInternalIP:NodePort. A node is eligible when
// it is Ready, not being deleted, not labelled
// node.kubernetes.io/exclude-from-external-load-balancers, and has a
// NodeInternalIP of the family. With externalTrafficPolicy Cluster HAProxy
// checks each node with a TCP connect to the NodePort; with Local it GETs
// /healthz on spec.healthCheckNodePort, which kube-proxy answers 200 only
// on nodes with a ready local endpoint, so only those get traffic. A
// Service that leaves the class (deleted, another type) is taken off the
// lb host first; then its pool addresses leave its status and the
// finalizer goes, which frees the address for the next Service.
//
// Why HAProxy: it is the forwarder users really put in front of NodePorts,
// with its own active health checks (the load balancer, not Kubernetes,
// decides which nodes are up, as in production), a runtime API to read
// what it decided (`lblab probe haproxy`, `show stat`), and hitless
// reloads: the master re-executes with the new file and the new worker
// takes the listening sockets over from the old one.
//
// Why the client IP is not preserved: HAProxy terminates the client's TCP
// connection and opens its own to the node, so the node (and the pod)
// sees the lb host's address. Keeping it would need either the PROXY
// protocol, which the backends would have to speak (nginx can, most
// workloads cannot), or DNAT instead of proxying, which needs the nodes'
// replies to return through the lb host (it as their default route, or
// policy routing), which a load balancer one router hop away does not
// have. This is the same trade-off as a cloud L4 load balancer in proxy
// mode, and ipMode Proxy tells kube-proxy so.
//
// The controller runs as one process on the one lb host, in its network
// namespace, with no leader election.
package externallb
