package kind

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lblab/lblab/internal/topology"
)

// The Cilium chart lblab installs for the ebpf data plane: a pinned version
// from Cilium's Helm repository. Its images are pinned by digest in the
// chart's own values. 1.20.2 is the newest release whose tag the Go module
// proxy serves here (github.com/cilium/cilium); no chart could be fetched.
const (
	ciliumVersion  = "1.20.2"
	ciliumChartURL = "https://helm.cilium.io/cilium-" + ciliumVersion + ".tgz"
)

// ciliumValues are the Helm values for a lab: kube-proxy replacement, the
// API server reached through the control-plane node's name (Docker's DNS
// on the kind network resolves it; kube-proxy is absent, so the Service IP
// cannot be used), pod CIDRs from Kubernetes (kind's podSubnet), the
// topology's families, and VXLAN between the nodes.
func ciliumValues(t *topology.Topology, controlPlane string) map[string]any {
	return map[string]any{
		"kubeProxyReplacement": true,
		"k8sServiceHost":       controlPlane,
		"k8sServicePort":       6443,
		"ipam":                 map[string]any{"mode": "kubernetes"},
		"ipv4":                 map[string]any{"enabled": t.Network.IPFamily.HasV4()},
		"ipv6":                 map[string]any{"enabled": t.Network.IPFamily.HasV6()},
		"routingMode":          "tunnel",
		"tunnelProtocol":       "vxlan",
		"operator":             map[string]any{"replicas": 1},
		"hubble":               map[string]any{"relay": map[string]any{"enabled": false}, "ui": map[string]any{"enabled": false}},
	}
}

// ciliumChart returns the chart archive, downloading it once into dir, and
// the archive's SHA-256 (printed at -v, so that it can be pinned).
func ciliumChart(ctx context.Context, dir string) (string, string, error) {
	path := filepath.Join(dir, "cilium-"+ciliumVersion+".tgz")
	if data, err := os.ReadFile(path); err == nil {
		sum := sha256.Sum256(data)
		return path, hex.EncodeToString(sum[:]), nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ciliumChartURL, nil)
	if err != nil {
		return "", "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("failed to download the Cilium chart %s: %w", ciliumChartURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("failed to download the Cilium chart %s: %s", ciliumChartURL, resp.Status)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return "", "", err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), resp.Body); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", "", fmt.Errorf("failed to download the Cilium chart: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", "", err
	}
	return path, hex.EncodeToString(h.Sum(nil)), os.Rename(tmp, path)
}

// renderChart renders a chart the way `helm install` does (Helm's engine,
// the chart's defaults merged with vals, the cluster's Kubernetes version
// as .Capabilities) and returns its objects in install order. Hooks and
// NOTES.txt are left out: the charts lblab installs need none.
func renderChart(chartPath string, vals map[string]any, namespace, kubeVersion string) ([]*unstructured.Unstructured, error) {
	chrt, err := loader.Load(chartPath)
	if err != nil {
		return nil, fmt.Errorf("failed to load chart %s: %w", chartPath, err)
	}
	if kv := chrt.Metadata.KubeVersion; kv != "" && kubeVersion != "" && !chartutil.IsCompatibleRange(kv, kubeVersion) {
		return nil, fmt.Errorf("chart %s-%s needs kubeVersion %s, and the cluster runs %s", chrt.Name(), chrt.Metadata.Version, kv, kubeVersion)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	if kubeVersion != "" {
		major, minor, _ := strings.Cut(strings.TrimPrefix(kubeVersion, "v"), ".")
		minor, _, _ = strings.Cut(minor, ".")
		caps.KubeVersion = chartutil.KubeVersion{Version: kubeVersion, Major: major, Minor: minor}
	}
	top, err := chartutil.ToRenderValues(chrt, vals,
		chartutil.ReleaseOptions{Name: chrt.Name(), Namespace: namespace, IsInstall: true, Revision: 1}, caps)
	if err != nil {
		return nil, fmt.Errorf("failed to compute values for chart %s: %w", chrt.Name(), err)
	}
	files, err := engine.Render(chrt, top)
	if err != nil {
		return nil, fmt.Errorf("failed to render chart %s: %w", chrt.Name(), err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var objs []*unstructured.Unstructured
	for _, n := range names {
		if !strings.HasSuffix(n, ".yaml") && !strings.HasSuffix(n, ".yml") {
			continue // NOTES.txt, helpers
		}
		docs, err := decodeManifests([]byte(files[n]))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		for _, o := range docs {
			if _, hook := o.GetAnnotations()["helm.sh/hook"]; hook {
				continue
			}
			if o.GetNamespace() == "" && namespaced(o.GetKind()) {
				o.SetNamespace(namespace)
			}
			objs = append(objs, o)
		}
	}
	sort.SliceStable(objs, func(i, j int) bool { return kindOrder(objs[i].GetKind()) < kindOrder(objs[j].GetKind()) })
	return objs, nil
}

// installOrder is Helm's: what others depend on comes first.
var installOrder = []string{"Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
	"PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList",
	"ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList",
	"Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService"}

func kindOrder(kind string) int {
	for i, k := range installOrder {
		if k == kind {
			return i
		}
	}
	return len(installOrder)
}

// namespaced reports whether objects of a kind the charts use live in a
// namespace (cluster-scoped kinds keep an empty one).
func namespaced(kind string) bool {
	switch kind {
	case "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass",
		"PersistentVolume", "IngressClass", "APIService", "PriorityClass", "ValidatingWebhookConfiguration",
		"MutatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding":
		return false
	}
	return true
}
