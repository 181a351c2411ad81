package workloads

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/lblab/lblab/internal/topology"
)

// Apply creates or updates every workload's namespace, Deployment and
// Service. It is idempotent.
func Apply(ctx context.Context, cs kubernetes.Interface, ws []topology.Workload) error {
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: true}
	done := map[string]bool{"default": true}
	for _, w := range ws {
		if !done[w.Namespace] {
			if _, err := cs.CoreV1().Namespaces().Apply(ctx, corev1ac.Namespace(w.Namespace), opts); err != nil {
				return fmt.Errorf("failed to create namespace %s: %w", w.Namespace, err)
			}
			done[w.Namespace] = true
		}
		if _, err := cs.AppsV1().Deployments(w.Namespace).Apply(ctx, Deployment(w), opts); err != nil {
			return fmt.Errorf("failed to apply Deployment %s/%s: %w", w.Namespace, w.Name, err)
		}
		if svc := Service(w); svc != nil {
			if _, err := cs.CoreV1().Services(w.Namespace).Apply(ctx, svc, opts); err != nil {
				return fmt.Errorf("failed to apply Service %s/%s: %w", w.Namespace, w.Name, err)
			}
		}
	}
	return nil
}

// Wait waits until every workload's Deployment has rolled out with all
// replicas Ready. It fails at once when a pod waits for a reason that will
// not pass (an image the backend cannot run), and after timeout with what
// each pod is waiting for.
func Wait(ctx context.Context, cs kubernetes.Interface, ws []topology.Workload, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, w := range ws {
		var d *appsv1.Deployment
		var pods *corev1.PodList
		var err, perr error
		werr := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			d, err = cs.AppsV1().Deployments(w.Namespace).Get(ctx, w.Name, metav1.GetOptions{})
			if err == nil && rolledOut(d) {
				return true, nil
			}
			pods, perr = cs.CoreV1().Pods(w.Namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelApp + "=" + w.Name})
			if perr == nil {
				if msg := hopeless(pods.Items); msg != "" {
					return false, fmt.Errorf("workload %s/%s cannot start: %s", w.Namespace, w.Name, msg)
				}
			}
			return false, nil
		})
		if werr == nil {
			continue
		}
		if ctx.Err() == nil { // a pod that will not start
			return werr
		}
		state := "no pods"
		if perr == nil && pods != nil && len(pods.Items) > 0 {
			state = podStates(pods.Items)
		}
		if err != nil {
			state += fmt.Sprintf("; the Deployment could not be read: %v", err)
		}
		return fmt.Errorf("workload %s/%s: %d of %d replicas Ready after %s; pods: %s",
			w.Namespace, w.Name, readyReplicas(d), replicas(w), timeout, state)
	}
	return nil
}

func rolledOut(d *appsv1.Deployment) bool {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want &&
		s.ReadyReplicas == want && s.AvailableReplicas == want && s.Replicas == want
}

func readyReplicas(d *appsv1.Deployment) int32 {
	if d == nil {
		return 0
	}
	return d.Status.ReadyReplicas
}

// Waiting reasons that do not pass by themselves.
var hopelessReasons = []string{"ImageUnsupported", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError"}

func hopeless(pods []corev1.Pod) string {
	for _, p := range pods {
		for _, c := range p.Status.ContainerStatuses {
			if w := c.State.Waiting; w != nil && slices.Contains(hopelessReasons, w.Reason) {
				return fmt.Sprintf("pod %s container %s is waiting: %s: %s", p.Name, c.Name, w.Reason, w.Message)
			}
		}
	}
	return ""
}

// podStates summarises pods: "web-x: Pending (Unschedulable: 0/4 nodes ...)".
func podStates(pods []corev1.Pod) string {
	var out []string
	for _, p := range pods {
		s := string(p.Status.Phase)
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status != corev1.ConditionTrue {
				s += fmt.Sprintf(" (%s: %s)", c.Reason, c.Message)
			}
		}
		for _, c := range p.Status.ContainerStatuses {
			if w := c.State.Waiting; w != nil {
				s += fmt.Sprintf(" (%s: %s: %s)", c.Name, w.Reason, w.Message)
			} else if !c.Ready {
				s += fmt.Sprintf(" (%s not ready)", c.Name)
			}
		}
		if p.Spec.NodeName != "" {
			s += " on " + p.Spec.NodeName
		}
		out = append(out, p.Name+": "+s)
	}
	return strings.Join(out, "; ")
}
