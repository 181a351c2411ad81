package kubevip

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/internal/topology"
)

// rbacKinds are the kinds of the upstream manifests lblab applies; the
// cloud provider's Deployment becomes a process.
var rbacKinds = []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}

// RBAC returns kube-vip's ServiceAccount and RBAC as its binary prints
// them (`kube-vip manifest rbac`) and the cloud provider's from its
// module directory src (manifest/kube-vip-cloud-controller.yaml).
func RBAC(ctx context.Context, kubeVIP, src string) ([]unstructured.Unstructured, error) {
	out, err := exec.CommandContext(ctx, kubeVIP, "manifest", "rbac").Output()
	if err != nil {
		return nil, fmt.Errorf("failed to run `%s manifest rbac`: %w", kubeVIP, err)
	}
	kv, err := install.Decode(out)
	if err != nil {
		return nil, fmt.Errorf("kube-vip manifest rbac: %w", err)
	}
	path := filepath.Join(src, "manifest", "kube-vip-cloud-controller.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read kube-vip-cloud-provider's manifest: %w", err)
	}
	ccm, err := install.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	objs := install.OfKinds(append(kv, ccm...), rbacKinds...)
	// Each has a ServiceAccount, a ClusterRole and its binding.
	if len(objs) < 6 {
		return nil, fmt.Errorf("found only %d ServiceAccount and RBAC documents in kube-vip's and %s", len(objs), path)
	}
	return objs, nil
}

// Install applies kube-vip's and its cloud provider's RBAC and the cloud
// provider's ConfigMap, and returns Config's notes. It is idempotent.
func Install(ctx context.Context, cfg *rest.Config, t *topology.Topology, kubeVIP, src string) ([]string, error) {
	objs, notes, err := Config(t)
	if err != nil {
		return nil, err
	}
	rbac, err := RBAC(ctx, kubeVIP, src)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to create a Kubernetes client: %w", err)
	}
	if err := install.Apply(ctx, dyn, rbac); err != nil {
		return nil, err
	}
	return notes, install.Apply(ctx, dyn, objs)
}
