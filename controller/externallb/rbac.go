package externallb

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1apply "k8s.io/client-go/applyconfigurations/core/v1"
	rbacv1apply "k8s.io/client-go/applyconfigurations/rbac/v1"
	"k8s.io/client-go/kubernetes"
)

// The controller's identity in the cluster.
const (
	// Namespace holds the ServiceAccount (lblab's namespace).
	Namespace = "lblab-system"
	// ServiceAccountName is the controller's ServiceAccount.
	ServiceAccountName = "lblab-external-lb"
	// ClusterRoleName names the ClusterRole and its ClusterRoleBinding
	// (like lblab:controller and lblab:speaker).
	ClusterRoleName = "lblab:external-lb"
	// InstallFieldManager is the server-side apply field manager of
	// everything lblab installs (controller/install's).
	InstallFieldManager = "lblab-install"
)

var partOf = map[string]string{"app.kubernetes.io/part-of": "lblab"}

// Rules are exactly what the controller does: watch Services and Nodes,
// patch Services (the finalizer) and their status, and record events
// (core/v1, through client-go's recorder).
func Rules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
		{APIGroups: []string{""}, Resources: []string{"services/status"}, Verbs: []string{"update", "patch"}},
		{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
	}
}

// Install puts the controller's ServiceAccount (in lblab-system, created
// when missing), ClusterRole and ClusterRoleBinding into the cluster with
// server-side apply. Running it again changes nothing that is right.
func Install(ctx context.Context, client kubernetes.Interface) error {
	opts := metav1.ApplyOptions{FieldManager: InstallFieldManager, Force: true}
	// Created, not applied: lblab's base manifests own the namespace's
	// labels under the same field manager, and applying a smaller
	// namespace here would drop them.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace, Labels: partOf}}
	if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{FieldManager: InstallFieldManager}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to create namespace %s: %w", Namespace, err)
	}
	sa := corev1apply.ServiceAccount(ServiceAccountName, Namespace).WithLabels(partOf)
	if _, err := client.CoreV1().ServiceAccounts(Namespace).Apply(ctx, sa, opts); err != nil {
		return fmt.Errorf("failed to apply ServiceAccount %s/%s: %w", Namespace, ServiceAccountName, err)
	}
	role := rbacv1apply.ClusterRole(ClusterRoleName).WithLabels(partOf)
	for _, r := range Rules() {
		role.WithRules(rbacv1apply.PolicyRule().WithAPIGroups(r.APIGroups...).WithResources(r.Resources...).WithVerbs(r.Verbs...))
	}
	if _, err := client.RbacV1().ClusterRoles().Apply(ctx, role, opts); err != nil {
		return fmt.Errorf("failed to apply ClusterRole %s: %w", ClusterRoleName, err)
	}
	binding := rbacv1apply.ClusterRoleBinding(ClusterRoleName).WithLabels(partOf).
		WithRoleRef(rbacv1apply.RoleRef().WithAPIGroup(rbacv1.GroupName).WithKind("ClusterRole").WithName(ClusterRoleName)).
		WithSubjects(rbacv1apply.Subject().WithKind(rbacv1.ServiceAccountKind).WithName(ServiceAccountName).WithNamespace(Namespace))
	if _, err := client.RbacV1().ClusterRoleBindings().Apply(ctx, binding, opts); err != nil {
		return fmt.Errorf("failed to apply ClusterRoleBinding %s: %w", ClusterRoleName, err)
	}
	return nil
}
