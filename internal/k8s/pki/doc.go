// Package pki makes a lab cluster's certificates, keys and kubeconfigs,
// with crypto/x509 and ECDSA P-256, the way kubeadm lays them out:
//
//   - a lab CA that signs everything (ca.crt, ca.key);
//   - the kube-apiserver serving certificate, with SANs for the
//     control-plane node's addresses, the first Service IP of each family,
//     loopback and the kubernetes.default names (apiserver.crt);
//   - the kube-apiserver's client certificate towards kubelets
//     (apiserver-kubelet-client.crt);
//   - the ServiceAccount signing key pair (sa.key, sa.pub);
//   - a front-proxy CA and its client certificate, for the request-header
//     authentication that aggregated API servers and the controllers'
//     delegated authentication expect (front-proxy-ca.crt,
//     front-proxy-client.crt);
//   - one kubeconfig per identity, each with its own client certificate:
//     kubernetes-super-admin (system:masters), kubernetes-admin
//     (kubeadm:cluster-admins), system:kube-controller-manager,
//     system:kube-scheduler, system:kube-proxy, and system:node:<name>
//     (system:nodes) for every node agent.
//
// Ensure is idempotent: what exists and is still right (same CA, identity,
// SANs and server, not about to expire) is kept, so a converging `up` does
// not invalidate the credentials of running components.
package pki
