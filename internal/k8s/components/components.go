package components

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Pinned versions. They must match tools/kube/go.mod and tools/etcd/go.mod
// (a unit test checks).
const (
	// KubernetesVersion is the version of every Kubernetes component.
	KubernetesVersion = "v1.37.2"
	// EtcdVersion is the version of etcd.
	EtcdVersion = "v3.7.0"
)

// Component names, which are also the binaries' file names.
const (
	APIServer         = "kube-apiserver"
	ControllerManager = "kube-controller-manager"
	Scheduler         = "kube-scheduler"
	Proxy             = "kube-proxy"
	Kubectl           = "kubectl"
	Etcd              = "etcd"
)

// Component is one binary and how it is built.
type Component struct {
	Name string
	// Module is the embedded tools module it is built in: "kube" or "etcd".
	Module string
	// Package is the main package's import path.
	Package string
	// Version is what `--version` prints.
	Version string
}

// All lists every component, in the order they are built: the slow
// kube-apiserver first, so that its progress line appears at once.
var All = []Component{
	{APIServer, "kube", "k8s.io/kubernetes/cmd/kube-apiserver", KubernetesVersion},
	{ControllerManager, "kube", "k8s.io/kubernetes/cmd/kube-controller-manager", KubernetesVersion},
	{Scheduler, "kube", "k8s.io/kubernetes/cmd/kube-scheduler", KubernetesVersion},
	{Proxy, "kube", "k8s.io/kubernetes/cmd/kube-proxy", KubernetesVersion},
	{Kubectl, "kube", "k8s.io/kubernetes/cmd/kubectl", KubernetesVersion},
	{Etcd, "etcd", "github.com/lblab/lblab/tools/etcd/cmd/etcd", EtcdVersion},
}

// Names returns the names of every component.
func Names() []string {
	out := make([]string, len(All))
	for i, c := range All {
		out[i] = c.Name
	}
	return out
}

func byName(name string) (Component, bool) {
	for _, c := range slices.Concat(All, Controllers, Cilium) {
		if c.Name == name {
			return c, true
		}
	}
	return Component{}, false
}

// Binaries maps component names to executable paths.
type Binaries map[string]string

// Path returns the path of a component; it panics on a name that was not
// resolved, which is a programming error.
func (b Binaries) Path(name string) string {
	p, ok := b[name]
	if !ok {
		panic(fmt.Sprintf("components: %s was not resolved", name))
	}
	return p
}

// EnvCacheDir moves lblab's cache (default: the user's cache dir + /lblab).
const EnvCacheDir = "LBLAB_CACHE_DIR"

// CacheRoot is lblab's cache directory.
func CacheRoot() string {
	if d := os.Getenv(EnvCacheDir); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "lblab")
	}
	return filepath.Join(os.TempDir(), "lblab-cache")
}

// CacheDir is where the pinned components live: <cache>/k8s/<version>.
func CacheDir() string { return filepath.Join(CacheRoot(), "k8s", KubernetesVersion) }

// BinDir is the directory of the cached binaries.
func BinDir() string { return filepath.Join(CacheDir(), "bin") }

// minor returns "1.37" from "v1.37.2".
func minor(v string) string {
	v = strings.TrimPrefix(v, "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}
