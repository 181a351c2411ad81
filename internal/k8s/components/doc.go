// Package components provides the pinned Kubernetes component binaries that
// netns labs run: kube-apiserver, kube-controller-manager, kube-scheduler,
// kube-proxy, kubectl and etcd.
//
// They are built from the Go module proxy through the tools modules kept in
// the repository (tools/kube and tools/etcd), whose go.mod, go.sum and entry
// files lblab carries embedded (a Go binary cannot embed another module's
// files, so modules/ holds copies, kept in sync by `go generate` and a unit
// test). Builds are stamped with the Kubernetes version, so `--version`
// prints it, and cached under the user's cache directory keyed by version
// (~/.cache/lblab/k8s/v1.37.2/bin). A lock makes concurrent `lblab up`s build
// each component once.
//
// A directory of prebuilt official binaries (--k8s-bin-dir) can be used
// instead; their versions are checked against the pinned minor version.
package components
