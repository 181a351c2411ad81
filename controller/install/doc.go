// Package install puts the bundled controller into a cluster: the CRDs
// (applied and waited for until Established), the lblab-system namespace,
// ServiceAccounts and least-privilege RBAC, and the topology's controller
// section as IPPool, BGPPeer and BGPAdvertisement objects. Everything is
// applied server-side with one field manager, so running it again (a
// converging `lblab up`) changes nothing that is already right.
//
// Manifests renders the same objects plus the controller Deployment and
// the speaker DaemonSet for a container image, for backends that run the
// controller as pods (kind).
package install
