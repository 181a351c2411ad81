package controller

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// TestTrimServiceKeepsTheRequest: the cache transform must not change
// anything request() or the status comparison read.
func TestTrimServiceKeepsTheRequest(t *testing.T) {
	local := corev1.ServiceExternalTrafficPolicyLocal
	class := v1alpha1.LoadBalancerClass
	svc := lb("web", annotate(v1alpha1.AnnotationLoadBalancerIPs, "198.51.100.7"), annotate(v1alpha1.AnnotationSharingKey, "k"),
		annotate("kubectl.kubernetes.io/last-applied-configuration", "{...}"), withStatus("198.51.100.7"),
		func(s *corev1.Service) {
			s.Labels = map[string]string{"app": "web"}
			s.Spec.Selector = map[string]string{"app": "web"}
			s.Spec.ExternalTrafficPolicy = local
			s.Spec.LoadBalancerClass = &class
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.10", []string{"10.96.0.10"}
			s.Spec.Ports = []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolUDP, Port: 53, TargetPort: intstr.FromInt(5353), NodePort: 30053}}
			s.Status.Conditions = []metav1.Condition{{Type: "x"}}
			s.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
		})
	before, err := request(svc)
	if err != nil {
		t.Fatal(err)
	}
	ingress := svc.Status.LoadBalancer.Ingress
	out, _ := trimService(svc.DeepCopy())
	trimmed := out.(*corev1.Service)
	after, err := request(trimmed)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("request changed:\n%+v\n%+v", before, after)
	}
	if !reflect.DeepEqual(trimmed.Status.LoadBalancer.Ingress, ingress) || trimmed.UID != svc.UID {
		t.Fatal("status or identity changed")
	}
	if _, ok := trimmed.Annotations["kubectl.kubernetes.io/last-applied-configuration"]; ok || trimmed.ManagedFields != nil || trimmed.Spec.ClusterIP != "" {
		t.Fatalf("not trimmed: %+v", trimmed)
	}
}
