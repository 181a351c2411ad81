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

	"github.com/lblab/lblab/internal/lab"
)

// maxChartBytes bounds a chart download (Cilium's archive is ~0.2 MB).
const maxChartBytes = 16 << 20

// fetchChart returns the path of the chart archive at url, kept in dir as
// file, after checking that its SHA-256 is want. A cached archive with
// another checksum is downloaded again; a downloaded one with another
// checksum is an error, and is not kept.
func fetchChart(ctx context.Context, url, want, dir, file string) (string, error) {
	path := filepath.Join(dir, file)
	if data, err := os.ReadFile(path); err == nil {
		if sha256Hex(data) == want {
			return path, nil
		}
		_ = os.Remove(path)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("failed to download the chart %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("failed to download the chart %s: %s", url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxChartBytes+1))
	if err != nil {
		return "", fmt.Errorf("failed to download the chart %s: %w", url, err)
	}
	if len(data) > maxChartBytes {
		return "", fmt.Errorf("failed to download the chart %s: larger than %d bytes", url, maxChartBytes)
	}
	if got := sha256Hex(data); got != want {
		return "", fmt.Errorf("the chart %s has sha256 %s, but lblab pins %s (internal/backend/kind); "+
			"refusing to install an archive other than the pinned one", url, got, want)
	}
	if err := lab.WriteFileAtomic(path, data, 0o644); err != nil {
		return "", fmt.Errorf("failed to cache the chart: %w", err)
	}
	return path, nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
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
