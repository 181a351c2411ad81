package openelb

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/internal/topology"
)

// CRDs reads OpenELB's CRDs from its module directory src
// (config/crd/bases), as generated: Eip, BgpConf and BgpPeer, served in
// v1alpha1 and v1alpha2 without conversion; Config writes v1alpha2, the
// storage version.
func CRDs(src string) ([]unstructured.Unstructured, error) {
	dir := filepath.Join(src, "config", "crd", "bases")
	files, err := filepath.Glob(filepath.Join(dir, "network.kubesphere.io_*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("found no OpenELB CRDs (network.kubesphere.io_*.yaml) in %s", dir)
	}
	var out []unstructured.Unstructured
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		objs, err := install.Decode(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, objs...)
	}
	return out, nil
}

// rbacKinds are the kinds of deploy/openelb.yaml that lblab applies:
// OpenELB's namespace, ServiceAccounts and RBAC. Its Deployment becomes a
// process per node; its webhook Service and configurations, and the Jobs
// that make their certificate, are not used (nothing registers the
// webhook, so nothing calls it).
var rbacKinds = []string{"Namespace", "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}

// RBAC reads OpenELB's namespace, ServiceAccounts and RBAC from its
// manifest (deploy/openelb.yaml in src).
func RBAC(src string) ([]unstructured.Unstructured, error) {
	path := filepath.Join(src, "deploy", "openelb.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read OpenELB's manifest: %w", err)
	}
	all, err := install.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := install.OfKinds(all, rbacKinds...)
	// v0.5.0 has its namespace, 2 ServiceAccounts, 2 Roles, 3
	// ClusterRoles and their 5 bindings.
	if len(out) < 13 {
		return nil, fmt.Errorf("found only %d namespace, ServiceAccount and RBAC documents in %s", len(out), path)
	}
	return out, nil
}

// Install applies OpenELB's CRDs (waiting until they are Established),
// its namespace, ServiceAccounts and RBAC, all read from src (OpenELB's
// module directory), then the topology's Config, and deletes the
// configuration objects an earlier Config of this lab made that the
// topology no longer has. It returns Config's notes. It is idempotent.
func Install(ctx context.Context, cfg *rest.Config, t *topology.Topology, tor []netip.Addr, src string) ([]string, error) {
	objs, notes, err := Config(t, tor)
	if err != nil {
		return nil, err
	}
	crds, err := CRDs(src)
	if err != nil {
		return nil, err
	}
	rbac, err := RBAC(src)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to create a Kubernetes client: %w", err)
	}
	if err := install.ApplyCRDObjects(ctx, dyn, crds); err != nil {
		return nil, err
	}
	if err := install.Apply(ctx, dyn, rbac); err != nil {
		return nil, err
	}
	if err := install.ApplyKinds(ctx, dyn, Kinds, objs); err != nil {
		return nil, err
	}
	return notes, prune(ctx, dyn, t.Name, objs)
}

// prune deletes the configuration objects labelled with this lab's name
// that are not in keep.
func prune(ctx context.Context, dyn dynamic.Interface, labName string, keep []unstructured.Unstructured) error {
	want := map[string]bool{}
	for _, o := range keep {
		want[o.GetKind()+"/"+o.GetName()] = true
	}
	for gvk, r := range Kinds {
		ri := dyn.Resource(gvk.GroupVersion().WithResource(r.Name))
		list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: Label + "=" + labName})
		if err != nil {
			return fmt.Errorf("failed to list OpenELB %s: %w", r.Name, err)
		}
		for _, o := range list.Items {
			if want[gvk.Kind+"/"+o.GetName()] {
				continue
			}
			if err := ri.Delete(ctx, o.GetName(), metav1.DeleteOptions{}); err != nil {
				return fmt.Errorf("failed to delete OpenELB %s %s, which the topology no longer has: %w", gvk.Kind, o.GetName(), err)
			}
		}
	}
	return nil
}
