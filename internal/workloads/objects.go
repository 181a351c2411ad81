package workloads

import (
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/internal/controllers/metallb"
	"github.com/lblab/lblab/internal/controllers/openelb"
	"github.com/lblab/lblab/internal/topology"
)

// FieldManager owns the fields lblab applies.
const FieldManager = "lblab"

// LabelApp selects a workload's pods, as `kubectl create deployment` does.
const LabelApp = "app"

func labels(w topology.Workload) map[string]string {
	return map[string]string{LabelApp: w.Name, "app.kubernetes.io/managed-by": FieldManager}
}

// Deployment returns the workload's Deployment.
func Deployment(w topology.Workload) *appsv1ac.DeploymentApplyConfiguration {
	c := corev1ac.Container().WithName(containerName(w.Image)).WithImage(w.Image)
	for _, p := range containerPorts(w) {
		c.WithPorts(corev1ac.ContainerPort().WithContainerPort(p.TargetPort).WithProtocol(corev1.Protocol(p.Protocol)))
	}
	return appsv1ac.Deployment(w.Name, w.Namespace).
		WithLabels(labels(w)).
		WithSpec(appsv1ac.DeploymentSpec().
			WithReplicas(replicas(w)).
			WithSelector(metav1ac.LabelSelector().WithMatchLabels(map[string]string{LabelApp: w.Name})).
			WithTemplate(corev1ac.PodTemplateSpec().
				WithLabels(labels(w)).
				WithSpec(corev1ac.PodSpec().WithContainers(c))))
}

// Service returns the workload's Service, or nil when it has none.
func Service(w topology.Workload) *corev1ac.ServiceApplyConfiguration {
	s := w.Service
	if s == nil {
		return nil
	}
	spec := corev1ac.ServiceSpec().
		WithType(corev1.ServiceType(s.Type)).
		WithSelector(map[string]string{LabelApp: w.Name})
	for _, p := range s.Ports {
		spec.WithPorts(corev1ac.ServicePort().
			WithName(fmt.Sprintf("%s-%d", strings.ToLower(p.Protocol), p.Port)).
			WithPort(p.Port).
			WithTargetPort(intstr.FromInt32(p.TargetPort)).
			WithProtocol(corev1.Protocol(p.Protocol)))
	}
	if s.IPFamilyPolicy != "" {
		spec.WithIPFamilyPolicy(corev1.IPFamilyPolicy(s.IPFamilyPolicy))
	}
	// The API accepts a traffic policy and source ranges only where they
	// mean something.
	if s.Type == string(corev1.ServiceTypeLoadBalancer) || s.Type == string(corev1.ServiceTypeNodePort) {
		spec.WithExternalTrafficPolicy(corev1.ServiceExternalTrafficPolicy(s.ExternalTrafficPolicy))
	}
	if s.Type == string(corev1.ServiceTypeLoadBalancer) && len(s.LoadBalancerSourceRanges) > 0 {
		spec.WithLoadBalancerSourceRanges(s.LoadBalancerSourceRanges...)
	}
	if s.Type == string(corev1.ServiceTypeLoadBalancer) && s.LoadBalancerClass != "" {
		spec.WithLoadBalancerClass(s.LoadBalancerClass)
	}
	svc := corev1ac.Service(w.Name, w.Namespace).WithLabels(labels(w)).WithSpec(spec)
	if s.Pool != "" {
		// The pool is asked of whichever controller runs: lblab's and
		// MetalLB's annotation both name it.
		svc.WithAnnotations(map[string]string{v1alpha1.AnnotationIPPool: s.Pool, metallb.AnnotationAddressPool: s.Pool})
	}
	if s.Type == string(corev1.ServiceTypeLoadBalancer) && s.LoadBalancerClass == "" {
		// OpenELB serves only Services annotated as its own (its Eip
		// names the pool); other controllers ignore these.
		svc.WithAnnotations(openelb.Annotations(s.Pool))
	}
	return svc
}

// containerPorts are the Service's distinct target ports.
func containerPorts(w topology.Workload) []topology.Port {
	if w.Service == nil {
		return nil
	}
	var out []topology.Port
	seen := map[string]bool{}
	for _, p := range w.Service.Ports {
		key := fmt.Sprintf("%d/%s", p.TargetPort, p.Protocol)
		if !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	return out
}

func replicas(w topology.Workload) int32 {
	if w.Replicas == nil {
		return 1
	}
	return *w.Replicas
}

var nonLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// containerName is the image's base name ("nginx" for
// docker.io/library/nginx:1.27), as `kubectl create deployment` names it.
func containerName(image string) string {
	base := image[strings.LastIndex(image, "/")+1:]
	if i := strings.IndexAny(base, ":@"); i >= 0 {
		base = base[:i]
	}
	base = strings.Trim(nonLabel.ReplaceAllString(strings.ToLower(base), "-"), "-")
	if base == "" {
		return "main"
	}
	if len(base) > 63 {
		base = strings.TrimRight(base[:63], "-")
	}
	return base
}
