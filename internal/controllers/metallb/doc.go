// Package metallb runs MetalLB as a lab's LoadBalancer controller
// (`lblab up --controller metallb`), configured from the same topology
// fields as the bundled controller, so that `lblab verify` judges both by
// the same checks.
//
// What comes from MetalLB itself, at the pinned version
// (components.MetalLBVersion): the controller and speaker binaries, built
// from the Go module proxy and cached like the Kubernetes components, and
// the CRDs (config/crd/bases) and the namespace, ServiceAccounts and RBAC
// (config/manifests/metallb-native.yaml), read from MetalLB's module in
// the Go module cache. Nothing of MetalLB is copied into this repository,
// and each process runs with a token of its own ServiceAccount, so a
// permission MetalLB's manifests lack fails in the lab as in a cluster.
//
// What lblab writes (Config): an IPAddressPool per topology pool, a
// BGPPeer per TOR address, and a BGPAdvertisement, in MetalLB's native
// BGP mode: the speakers speak BGP themselves, without FRR in the nodes
// and without memberlist. Native mode has limits that Config states
// rather than hides: it announces IPv4 only (IPv6 pool ranges are left
// out, so a dual-stack lab's Services get IPv4 LoadBalancer IPs), and it
// has no BFD. MetalLB's validating webhook is turned off with its own flag
// (--webhook-mode=disabled): a netns lab has no Service network route to
// a webhook; objects are still checked by the CRDs' OpenAPI schemas.
//
// How the processes run is the backend's business (the netns backend
// supervises them like the bundled controller's); Daemons says what they
// are.
package metallb
