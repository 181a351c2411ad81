package kubevip

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/topology"
)

// Images at the pinned versions: kube-vip's as its own manifest generator
// names it (`kube-vip manifest daemonset`: ghcr.io/kube-vip/kube-vip:
// <version>, pkg/kubevip/config_generator.go), the cloud provider's as
// manifest/kube-vip-cloud-controller.yaml of its module does.
const (
	Image              = "ghcr.io/kube-vip/kube-vip:" + components.KubeVIPVersion
	CloudProviderImage = "ghcr.io/kube-vip/kube-vip-cloud-provider:" + components.KubeVIPCloudProviderVersion
)

// Workload names in Namespace: the DaemonSet kube-vip's generator makes,
// and the cloud provider's Deployment in its manifest.
const (
	DaemonSetName           = "kube-vip-ds"
	CloudProviderDeployment = "kube-vip-cloud-provider"
)

// DaemonSet is kube-vip on every node of a cluster, in services mode with
// BGP, peering with the TOR at tor (its address on the nodes' network).
//
// kube-vip ships no manifest file: `kube-vip manifest daemonset` prints
// one. This is that generator's DaemonSet (v1.0.0,
// GenerateDaemonsetManifestFromConfig with --inCluster), written in Go
// with the same name, labels, image, `manager` argument, capabilities
// (NET_ADMIN, NET_RAW, all others dropped), hostNetwork and ServiceAccount
// (kube-vip, from `kube-vip manifest rbac`, which Install applies), and
// its --taint tolerations, without the control-plane-only node affinity
// --taint adds: services mode announces from every node, as on netns.
// The environment is the one netns labs give the process (env), with the
// per-node values from the Pod's node: vip_nodename from spec.nodeName,
// bgp_routerid from status.hostIP (the node's IPv4 address: kube-vip labs
// are IPv4 only), and prometheus_server on every address, port
// MetricsPort (the generator's default).
func DaemonSet(t *topology.Topology, tor netip.Addr) (unstructured.Unstructured, error) {
	if err := Check(t); err != nil {
		return unstructured.Unstructured{}, err
	}
	if !tor.Is4() {
		return unstructured.Unstructured{}, fmt.Errorf("the TOR has no IPv4 address (%v) for kube-vip's bgp_peers; bring the lab up again with `lblab up`", tor)
	}
	var vars []corev1.EnvVar
	fromField := func(path string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}
	}
	for _, kv := range env(t, netip.IPv4Unspecified(), "", tor) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "vip_nodename":
			vars = append(vars, corev1.EnvVar{Name: k, ValueFrom: fromField("spec.nodeName")})
		case "bgp_routerid":
			vars = append(vars, corev1.EnvVar{Name: k, ValueFrom: fromField("status.hostIP")})
		case "prometheus_server":
			vars = append(vars, corev1.EnvVar{Name: k, Value: fmt.Sprintf(":%d", MetricsPort)})
		default:
			vars = append(vars, corev1.EnvVar{Name: k, Value: v})
		}
	}
	labels := map[string]string{"app.kubernetes.io/name": DaemonSetName, "app.kubernetes.io/version": components.KubeVIPVersion}
	ds := &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: metav1.ObjectMeta{Name: DaemonSetName, Namespace: Namespace, Labels: labels},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": DaemonSetName}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{
						Name: "kube-vip", Image: Image, ImagePullPolicy: corev1.PullIfNotPresent,
						Args: []string{"manager"}, Env: vars,
						SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{
							Add: []corev1.Capability{"NET_ADMIN", "NET_RAW"}, Drop: []corev1.Capability{"ALL"}}},
					}},
					HostNetwork:        true,
					ServiceAccountName: KubeVIPServiceAccount,
					Tolerations: []corev1.Toleration{
						{Effect: corev1.TaintEffectNoSchedule, Operator: corev1.TolerationOpExists},
						{Effect: corev1.TaintEffectNoExecute, Operator: corev1.TolerationOpExists},
					},
				},
			},
		},
	}
	u, err := install.ToUnstructured(ds)
	if err != nil {
		return unstructured.Unstructured{}, err
	}
	// What the converter writes for unset structs: not lblab's to own.
	unstructured.RemoveNestedField(u.Object, "spec", "template", "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "spec", "updateStrategy")
	ctrs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	for _, c := range ctrs {
		delete(c.(map[string]any), "resources")
	}
	return u, unstructured.SetNestedSlice(u.Object, ctrs, "spec", "template", "spec", "containers")
}

// CloudProvider reads kube-vip-cloud-provider's Deployment from its
// manifest (manifest/kube-vip-cloud-controller.yaml in src, its module
// directory), unchanged: one replica with leader election, in cluster,
// preferring the control plane, reading the ConfigMap Install writes
// (kube-system/kubevip, its default). Its ServiceAccount and RBAC, from the
// same file, are Install's. It is an error when the Deployment does not
// run CloudProviderImage: src is then not that version's module.
func CloudProvider(src string) ([]unstructured.Unstructured, error) {
	path := filepath.Join(src, "manifest", "kube-vip-cloud-controller.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read kube-vip-cloud-provider's manifest (%w); it is part of "+
			"github.com/kube-vip/kube-vip-cloud-provider@%s, which `go mod download` puts in the Go module cache",
			err, components.KubeVIPCloudProviderVersion)
	}
	all, err := install.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	deps := install.OfKinds(all, "Deployment")
	if len(deps) != 1 || deps[0].GetName() != CloudProviderDeployment || deps[0].GetNamespace() != Namespace {
		return nil, fmt.Errorf("%s: want one Deployment %s/%s, as kube-vip-cloud-provider %s's has", path, Namespace, CloudProviderDeployment, components.KubeVIPCloudProviderVersion)
	}
	ctrs, _, _ := unstructured.NestedSlice(deps[0].Object, "spec", "template", "spec", "containers")
	for _, c := range ctrs {
		m, _ := c.(map[string]any)
		if got, _ := m["image"].(string); got != CloudProviderImage {
			return nil, fmt.Errorf("%s: Deployment %s/%s runs %q, but lblab pins %s: this is not that version's manifest",
				path, Namespace, CloudProviderDeployment, got, CloudProviderImage)
		}
	}
	return deps, nil
}
