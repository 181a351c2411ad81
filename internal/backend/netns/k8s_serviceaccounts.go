package netns

import (
	"context"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// createControllerServiceAccounts creates, in parallel, the kube-system
// ServiceAccounts that the RBAC bootstrap policy binds to the built-in
// controllers. With --use-service-account-credentials the controller
// manager otherwise creates them one by one (get, get namespace, create)
// while it starts its controllers, which costs seconds on a small machine.
// They are exactly what it would create itself.
func createControllerServiceAccounts(ctx context.Context, cs kubernetes.Interface) error {
	crbs, err := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("failed to list ClusterRoleBindings: %w", err)
	}
	names := controllerServiceAccounts(crbs.Items)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []string
	)
	sem := make(chan struct{}, 8)
	for _, n := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: n}}
			_, err := cs.CoreV1().ServiceAccounts(metav1.NamespaceSystem).Create(ctx, sa, metav1.CreateOptions{})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("%s: %v", n, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("failed to create controller ServiceAccounts: %s", strings.Join(errs, "; "))
	}
	return nil
}

// controllerServiceAccounts returns the kube-system ServiceAccounts bound
// by the bootstrap "system:controller:*" ClusterRoleBindings.
func controllerServiceAccounts(crbs []rbacv1.ClusterRoleBinding) []string {
	var out []string
	seen := map[string]bool{}
	for _, b := range crbs {
		if !strings.HasPrefix(b.Name, "system:controller:") {
			continue
		}
		for _, s := range b.Subjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == metav1.NamespaceSystem && !seen[s.Name] {
				seen[s.Name] = true
				out = append(out, s.Name)
			}
		}
	}
	return out
}
