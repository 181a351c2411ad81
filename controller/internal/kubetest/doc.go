// Package kubetest starts a real etcd and kube-apiserver for the
// controller's tests: CEL validation of the CRDs, RBAC of the controller's
// ServiceAccount, and the reconciler end to end. The binaries are the lab's
// pinned ones (LBLAB_K8S_BIN_DIR, or lblab's component cache); when they
// are missing the test is skipped, or fails under LBLAB_INTEGRATION=1.
//
// The apiserver runs with RBAC, ServiceAccount token signing (so the
// TokenRequest API works) and an admin bearer token, like the lab's
// control plane, on 127.0.0.1 and random ports.
package kubetest
