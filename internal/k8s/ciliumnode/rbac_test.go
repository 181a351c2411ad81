package ciliumnode

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/lblab/lblab/controller/install"
)

// allows reports whether rules grant verb on group/resource.
func allows(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	for _, r := range rules {
		if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) &&
			(slices.Contains(r.Verbs, verb) || slices.Contains(r.Verbs, rbacv1.VerbAll)) {
			return true
		}
	}
	return false
}

func TestRBAC(t *testing.T) {
	var (
		sa    *corev1.ServiceAccount
		cr    *rbacv1.ClusterRole
		role  *rbacv1.Role
		crb   *rbacv1.ClusterRoleBinding
		rb    *rbacv1.RoleBinding
		names = map[string]bool{}
	)
	for _, o := range RBAC() {
		u, err := install.ToUnstructured(o)
		if err != nil {
			t.Fatalf("%T: %v", o, err)
		}
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
			t.Errorf("%T: apiVersion %q kind %q name %q", o, u.GetAPIVersion(), u.GetKind(), u.GetName())
		}
		key := u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
		if names[key] {
			t.Errorf("%s twice", key)
		}
		names[key] = true
		switch o := o.(type) {
		case *corev1.ServiceAccount:
			sa = o
		case *rbacv1.ClusterRole:
			cr = o
		case *rbacv1.Role:
			role = o
		case *rbacv1.ClusterRoleBinding:
			crb = o
		case *rbacv1.RoleBinding:
			rb = o
		default:
			t.Errorf("unexpected %T", o)
		}
	}
	if sa == nil || cr == nil || role == nil || crb == nil || rb == nil {
		t.Fatalf("missing objects: sa %v clusterrole %v role %v bindings %v %v", sa, cr, role, crb, rb)
	}
	if sa.Namespace != "kube-system" || sa.Name != "cilium" || role.Namespace != "kube-system" {
		t.Errorf("ServiceAccount %s/%s, Role in %q", sa.Namespace, sa.Name, role.Namespace)
	}

	tests := []struct {
		group, verb string
		resources   []string
	}{
		{"cilium.io", "create", []string{"ciliumendpoints", "ciliumidentities", "ciliumnodes"}},
		{"cilium.io", "list", []string{"ciliumendpoints", "ciliumidentities", "ciliumnodes", "ciliumnetworkpolicies"}},
		{"cilium.io", "watch", []string{"ciliumendpoints", "ciliumidentities", "ciliumnodes", "ciliumnetworkpolicies"}},
		{"cilium.io", "get", []string{"ciliumnodes", "ciliumnodes/status", "ciliumendpoints"}},
		{"cilium.io", "update", []string{"ciliumnodes", "ciliumnodes/status", "ciliumidentities"}},
		{"cilium.io", "delete", []string{"ciliumendpoints"}},
		{"cilium.io", "patch", []string{"ciliumendpoints", "ciliumendpoints/status"}},
		{"", "list", []string{"services", "nodes", "pods", "namespaces"}},
		{"", "watch", []string{"services", "nodes", "pods", "namespaces"}},
		{"", "get", []string{"nodes", "pods"}},
		{"discovery.k8s.io", "list", []string{"endpointslices"}},
		{"discovery.k8s.io", "watch", []string{"endpointslices"}},
		{"networking.k8s.io", "watch", []string{"networkpolicies"}},
		{"apiextensions.k8s.io", "list", []string{"customresourcedefinitions"}},
	}
	for _, tc := range tests {
		for _, r := range tc.resources {
			if !allows(cr.Rules, tc.group, r, tc.verb) {
				t.Errorf("ClusterRole does not allow %s on %q/%s", tc.verb, tc.group, r)
			}
		}
	}
	// Least privilege: no wildcard, no secrets, no writes to core objects.
	for _, r := range cr.Rules {
		if slices.Contains(r.Verbs, rbacv1.VerbAll) || slices.Contains(r.Resources, rbacv1.ResourceAll) ||
			slices.Contains(r.APIGroups, rbacv1.APIGroupAll) {
			t.Errorf("wildcard rule %+v", r)
		}
	}
	for _, verb := range []string{"get", "list", "create", "update", "patch", "delete"} {
		if allows(cr.Rules, "", "secrets", verb) {
			t.Errorf("ClusterRole allows %s on secrets", verb)
		}
	}
	if allows(cr.Rules, "", "nodes", "update") || allows(cr.Rules, "", "pods", "delete") {
		t.Error("ClusterRole writes core nodes or pods")
	}
	for _, verb := range []string{"get", "list", "watch"} {
		if !allows(role.Rules, "", "configmaps", verb) {
			t.Errorf("Role does not allow %s on configmaps", verb)
		}
	}

	want := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: sa.Namespace}
	for _, b := range []struct {
		what     string
		ref      rbacv1.RoleRef
		subjects []rbacv1.Subject
		kind     string
		name     string
	}{
		{"ClusterRoleBinding", crb.RoleRef, crb.Subjects, "ClusterRole", cr.Name},
		{"RoleBinding", rb.RoleRef, rb.Subjects, "Role", role.Name},
	} {
		if b.ref != (rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: b.kind, Name: b.name}) {
			t.Errorf("%s refers to %+v, want %s %s", b.what, b.ref, b.kind, b.name)
		}
		if !slices.Equal(b.subjects, []rbacv1.Subject{want}) {
			t.Errorf("%s subjects %+v, want %+v", b.what, b.subjects, want)
		}
	}
	if rb.Namespace != role.Namespace {
		t.Errorf("RoleBinding in %q, Role in %q", rb.Namespace, role.Namespace)
	}
}
