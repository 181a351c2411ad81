package install

import (
	"context"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// FieldManager is the server-side apply field manager of everything
// lblab installs.
const FieldManager = "lblab-install"

// resources maps the kinds lblab installs to their resources (a static
// table instead of discovery: it is known, and it saves round trips).
var resources = map[schema.GroupVersionKind]struct {
	resource   string
	namespaced bool
}{
	{Version: "v1", Kind: "Namespace"}:                                               {"namespaces", false},
	{Version: "v1", Kind: "ServiceAccount"}:                                          {"serviceaccounts", true},
	{Version: "v1", Kind: "ConfigMap"}:                                               {"configmaps", true},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}:         {"clusterroles", false},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRoleBinding"}:  {"clusterrolebindings", false},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "Role"}:                {"roles", true},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleBinding"}:         {"rolebindings", true},
	{Group: "apps", Version: "v1", Kind: "Deployment"}:                               {"deployments", true},
	{Group: "apps", Version: "v1", Kind: "DaemonSet"}:                                {"daemonsets", true},
	{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}: {"customresourcedefinitions", false},
	{Group: "lblab.dev", Version: "v1alpha1", Kind: "IPPool"}:                        {"ippools", false},
	{Group: "lblab.dev", Version: "v1alpha1", Kind: "BGPPeer"}:                       {"bgppeers", false},
	{Group: "lblab.dev", Version: "v1alpha1", Kind: "BGPAdvertisement"}:              {"bgpadvertisements", false},
	{Group: "lblab.dev", Version: "v1alpha1", Kind: "L2Advertisement"}:               {"l2advertisements", false},
}

// ToUnstructured converts a typed object (with TypeMeta set) for Apply.
func ToUnstructured(obj runtime.Object) (unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return unstructured.Unstructured{}, err
	}
	u := unstructured.Unstructured{Object: m}
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "status")
	return u, nil
}

// Resource is the API resource of a kind Apply does not know by itself.
type Resource struct {
	Name       string // plural, lower case: "ipaddresspools"
	Namespaced bool
}

// Apply applies objects in order with server-side apply.
func Apply(ctx context.Context, dyn dynamic.Interface, objs []unstructured.Unstructured) error {
	return ApplyKinds(ctx, dyn, nil, objs)
}

// ApplyKinds is Apply for objects whose kinds may also be in extra
// (another controller's CRDs).
func ApplyKinds(ctx context.Context, dyn dynamic.Interface, extra map[schema.GroupVersionKind]Resource, objs []unstructured.Unstructured) error {
	for i := range objs {
		o := &objs[i]
		gvk := o.GroupVersionKind()
		r, ok := resources[gvk]
		if e, found := extra[gvk]; found {
			r.resource, r.namespaced, ok = e.Name, e.Namespaced, true
		}
		if !ok {
			return fmt.Errorf("failed to apply %s %s: lblab does not know that kind", gvk.Kind, o.GetName())
		}
		gvr := gvk.GroupVersion().WithResource(r.resource)
		var ri dynamic.ResourceInterface = dyn.Resource(gvr)
		if r.namespaced {
			ri = dyn.Resource(gvr).Namespace(o.GetNamespace())
		}
		data, err := json.Marshal(o.Object)
		if err != nil {
			return err
		}
		if _, err := ri.Patch(ctx, o.GetName(), "application/apply-patch+yaml", data,
			metav1.PatchOptions{FieldManager: FieldManager, Force: ptrTrue()}); err != nil {
			return fmt.Errorf("failed to apply %s %s: %w", gvk.Kind, qualified(o), err)
		}
	}
	return nil
}

func qualified(o *unstructured.Unstructured) string {
	if o.GetNamespace() == "" {
		return o.GetName()
	}
	return o.GetNamespace() + "/" + o.GetName()
}

func ptrTrue() *bool { t := true; return &t }
