package pki

import "slices"

// Identity is who a client certificate says it is: the user name (CN) and
// groups (O) that the kube-apiserver's x509 authenticator reads.
type Identity struct {
	CommonName    string
	Organizations []string
}

// Equal reports whether two identities are the same.
func (i Identity) Equal(o Identity) bool {
	return i.CommonName == o.CommonName && slices.Equal(i.Organizations, o.Organizations)
}

// The identities of a lab cluster, as kubeadm names them.
var (
	// SuperAdmin bypasses authorization (system:masters). lblab uses it once,
	// to bind kubeadm:cluster-admins to cluster-admin.
	SuperAdmin = Identity{"kubernetes-super-admin", []string{"system:masters"}}
	// Admin is the user's identity, cluster-admin through RBAC.
	Admin = Identity{"kubernetes-admin", []string{AdminGroup}}
	// ControllerManager is bound to system:kube-controller-manager by the
	// bootstrap policy; with --use-service-account-credentials each
	// controller then acts as its own ServiceAccount.
	ControllerManager = Identity{"system:kube-controller-manager", nil}
	// Scheduler is bound to system:kube-scheduler by the bootstrap policy.
	Scheduler = Identity{"system:kube-scheduler", nil}
	// KubeProxy is bound to system:node-proxier by the bootstrap policy.
	KubeProxy = Identity{"system:kube-proxy", nil}
	// KubeletClient is the kube-apiserver's identity towards node agents.
	KubeletClient = Identity{"kube-apiserver-kubelet-client", []string{AdminGroup}}
	// FrontProxyClient is the kube-apiserver's identity towards aggregated
	// API servers, signed by the front-proxy CA.
	FrontProxyClient = Identity{"front-proxy-client", nil}
)

// AdminGroup is the group that kubeadm binds to cluster-admin.
const AdminGroup = "kubeadm:cluster-admins"

// Node is a node agent's identity, which the Node authorizer and the
// NodeRestriction admission plugin recognise.
func Node(name string) Identity {
	return Identity{"system:node:" + name, []string{"system:nodes"}}
}
