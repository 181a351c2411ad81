//go:build tools

// Package tools pins the Kubernetes components lblab runs in netns labs.
// lblab builds them with `go build k8s.io/kubernetes/cmd/<name>` in this
// module, so that their versions and dependencies are exactly upstream's.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
