package openelb

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/internal/k8s/components"
)

// ManagerImage is the manager's image in OpenELB's own manifest at the
// pinned version (deploy/openelb.yaml of github.com/openelb/openelb
// v0.5.0). Workloads checks that the manifest it reads names it.
const ManagerImage = "kubesphere/openelb:" + components.OpenELBVersion

// Manager is the name of the manager's workload in Namespace (upstream's
// Deployment, the DaemonSet Workloads makes of it).
const Manager = "openelb-manager"

// Workloads reads from OpenELB's manifest (deploy/openelb.yaml in src, its
// module directory) what a cluster runs OpenELB with beyond what Install
// applies (the CRDs, the namespace, ServiceAccounts and RBAC), in the
// manifest's order: the webhook Service openelb-admission, the manager,
// the two Jobs that make the webhook's certificate Secret and write its CA
// into the webhook configurations (kube-webhook-certgen, as upstream
// names it), and the Mutating- and ValidatingWebhookConfiguration.
//
// One change: upstream's manager is a Deployment of one replica with a
// required anti-affinity per node (its documentation scales it to several
// nodes for ECMP); Workloads makes its Pod template a DaemonSet of the
// same name, labels and selector, with its rollingUpdate strategy as the
// DaemonSet's, and a toleration of node-role.kubernetes.io/control-plane
// NoSchedule besides upstream's of the older master taint, so that a
// manager runs on every node, as on netns labs. The manager mounts the
// certificate Secret, so it starts once the first Job has run.
//
// It is an error when the manifest's manager does not run ManagerImage:
// src is then not OpenELB OpenELBVersion's module.
func Workloads(src string) ([]unstructured.Unstructured, error) {
	path := filepath.Join(src, "deploy", "openelb.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read OpenELB's manifest (%w); it is part of github.com/openelb/openelb@%s, "+
			"which `go mod download github.com/openelb/openelb@%s` puts in the Go module cache", err, components.OpenELBVersion, components.OpenELBVersion)
	}
	all, err := install.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []unstructured.Unstructured
	found := false
	for _, o := range all {
		k := o.GetKind()
		if k == "CustomResourceDefinition" || slices.Contains(rbacKinds, k) {
			continue
		}
		if k == "Deployment" && o.GetName() == Manager && o.GetNamespace() == Namespace {
			if err := managerDaemonSet(&o); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			found = true
		}
		out = append(out, o)
	}
	if !found {
		return nil, fmt.Errorf("%s: no Deployment %s/%s (OpenELB %s's manifest has one)", path, Namespace, Manager, components.OpenELBVersion)
	}
	return out, nil
}

// managerDaemonSet turns upstream's manager Deployment into a DaemonSet
// in place (see Workloads), after checking its image.
func managerDaemonSet(o *unstructured.Unstructured) error {
	ctrs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
	if len(ctrs) == 0 {
		return fmt.Errorf("Deployment %s/%s has no containers", Namespace, Manager)
	}
	for _, c := range ctrs {
		m, _ := c.(map[string]any)
		if got, _ := m["image"].(string); got != ManagerImage {
			return fmt.Errorf("Deployment %s/%s runs %q, but lblab pins %s (OpenELB %s): this is not that version's manifest",
				Namespace, Manager, got, ManagerImage, components.OpenELBVersion)
		}
	}
	o.SetKind("DaemonSet")
	spec, _, _ := unstructured.NestedMap(o.Object, "spec")
	if strategy, ok := spec["strategy"]; ok {
		spec["updateStrategy"] = strategy
	}
	delete(spec, "strategy")
	delete(spec, "replicas")
	delete(spec, "progressDeadlineSeconds")
	tol, _, _ := unstructured.NestedSlice(spec, "template", "spec", "tolerations")
	tol = append(tol, map[string]any{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"})
	if err := unstructured.SetNestedSlice(spec, tol, "template", "spec", "tolerations"); err != nil {
		return err
	}
	return unstructured.SetNestedMap(o.Object, spec, "spec")
}
