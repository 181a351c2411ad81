package ciliumnode

import (
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// ServiceAccount is the agent's identity, as in Cilium's Helm chart.
const (
	Namespace      = metav1.NamespaceSystem
	ServiceAccount = "cilium"
)

// RBAC returns the agent's ServiceAccount, ClusterRole, Role and
// bindings: the chart's templates/cilium-agent/{clusterrole,role}.yaml of
// v1.20.2 rendered with its defaults (no Hubble drop events, no node
// annotations, no L2 announcements, secrets read from the secrets
// namespace only, no ingress or gateway controllers).
func RBAC() []runtime.Object {
	rule := func(groups, resources, verbs []string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs}
	}
	read := []string{"get", "list", "watch"}
	core, cilium := []string{""}, []string{"cilium.io"}
	meta := metav1.ObjectMeta{Name: ServiceAccount, Labels: map[string]string{"app.kubernetes.io/part-of": "cilium"}}
	nsMeta := meta
	nsMeta.Namespace = Namespace
	subject := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: ServiceAccount, Namespace: Namespace}}
	cr := &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: meta,
		Rules: []rbacv1.PolicyRule{
			rule([]string{"networking.k8s.io"}, []string{"networkpolicies"}, read),
			rule([]string{"discovery.k8s.io"}, []string{"endpointslices"}, read),
			rule(core, []string{"namespaces", "services", "pods", "nodes"}, read),
			rule([]string{"apiextensions.k8s.io"}, []string{"customresourcedefinitions"}, []string{"list", "watch", "get"}),
			rule(cilium, []string{"ciliumloadbalancerippools", "ciliumbgpnodeconfigs", "ciliumbgpadvertisements",
				"ciliumbgppeerconfigs", "ciliumclusterwideenvoyconfigs", "ciliumclusterwidenetworkpolicies",
				"ciliumegressgatewaypolicies", "ciliumendpoints", "ciliumendpointslices", "ciliumenvoyconfigs",
				"ciliumidentities", "ciliumlocalredirectpolicies", "ciliumnetworkpolicies", "ciliumnodes",
				"ciliumnodeconfigs", "ciliumcidrgroups", "ciliuml2announcementpolicies", "ciliumpodippools",
				"ciliumdatapathplugins"}, []string{"list", "watch"}),
			rule(cilium, []string{"ciliumidentities", "ciliumendpoints", "ciliumnodes"}, []string{"create"}),
			rule(cilium, []string{"ciliumidentities"}, []string{"update"}),
			rule(cilium, []string{"ciliumendpoints"}, []string{"delete", "get"}),
			rule(cilium, []string{"ciliumnodes", "ciliumnodes/status"}, []string{"get", "update"}),
			rule(cilium, []string{"ciliumendpoints/status", "ciliumendpoints", "ciliuml2announcementpolicies/status",
				"ciliumbgpnodeconfigs/status"}, []string{"patch"}),
		},
	}
	role := &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: metav1.ObjectMeta{Name: "cilium-config-agent", Namespace: Namespace, Labels: meta.Labels},
		Rules:      []rbacv1.PolicyRule{rule(core, []string{"configmaps"}, read)},
	}
	return []runtime.Object{
		&corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: nsMeta},
		cr,
		&rbacv1.ClusterRoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
			ObjectMeta: meta,
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: cr.Name},
			Subjects:   subject,
		},
		role,
		&rbacv1.RoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: role.Name, Namespace: Namespace, Labels: meta.Labels},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
			Subjects:   subject,
		},
	}
}
