package externallb

import (
	"fmt"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestInstall(t *testing.T) {
	client := fake.NewClientset()
	for i := range 2 { // idempotent
		if err := Install(t.Context(), client); err != nil {
			t.Fatalf("install %d: %v", i+1, err)
		}
	}
	ctx := t.Context()
	if _, err := client.CoreV1().ServiceAccounts(Namespace).Get(ctx, ServiceAccountName, metav1.GetOptions{}); err != nil {
		t.Error(err)
	}
	role, err := client.RbacV1().ClusterRoles().Get(ctx, ClusterRoleName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"[] [services] [get list watch update patch]",
		"[] [services/status] [update patch]",
		"[] [nodes] [get list watch]",
		"[] [events] [create patch]",
	}
	if len(role.Rules) != len(want) {
		t.Fatalf("rules %+v", role.Rules)
	}
	for i, r := range role.Rules {
		if got := fmt.Sprint(r.APIGroups, r.Resources, r.Verbs); got != want[i] {
			t.Errorf("rule %d: %s, want %s", i, got, want[i])
		}
	}
	b, err := client.RbacV1().ClusterRoleBindings().Get(ctx, ClusterRoleName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b.RoleRef != (rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: ClusterRoleName}) ||
		len(b.Subjects) != 1 || b.Subjects[0].Name != ServiceAccountName || b.Subjects[0].Namespace != Namespace {
		t.Errorf("binding %+v", b)
	}
}
