// Package controlplane renders the command lines of a lab's control plane:
// etcd, kube-apiserver, kube-controller-manager and kube-scheduler, as
// kubeadm configures them (Node and RBAC authorization, NodeRestriction,
// one identity per component, ServiceAccount keys, node CIDR allocation,
// dual-stack Service and pod ranges), tuned for a small, fast lab: etcd
// without fsync and with a small quota, no profiling, and Go runtime limits
// per component.
//
// Rendering is pure, so every flag is unit tested; the netns backend starts
// the processes and waits for their health endpoints.
package controlplane
