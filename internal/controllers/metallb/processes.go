package metallb

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/lblab/lblab/internal/controllers"
	"github.com/lblab/lblab/internal/k8s/components"
)

// ServiceAccounts of MetalLB's manifests, in Namespace.
const (
	ControllerServiceAccount = "controller"
	SpeakerServiceAccount    = "speaker"
)

// Metrics ports, the bundled controller's in netns labs: the control-plane
// node runs both the controller and a speaker in one namespace, so they
// cannot both take MetalLB's default 7472.
const (
	ControllerPort = 7472
	SpeakerPort    = 7473
)

// Processes are MetalLB's controller (webhook off, no memberlist secret)
// and a speaker per node, run from bins with $KUBECONFIG.
func Processes(bins components.Binaries, nodes []controllers.Node) []controllers.Process {
	out := []controllers.Process{{Name: "metallb controller", File: "metallb-controller",
		Namespace: Namespace, ServiceAccount: ControllerServiceAccount,
		Argv: []string{bins.Path(components.MetalLBController), fmt.Sprintf("--port=%d", ControllerPort), "--log-level=info",
			"--namespace=" + Namespace, "--webhook-mode=disabled", "--disable-cert-rotation"}}}
	for _, n := range nodes {
		out = append(out, controllers.Process{Name: "metallb speaker on " + n.Name, File: n.Name + "-metallb-speaker", Node: n.Name,
			Namespace: Namespace, ServiceAccount: SpeakerServiceAccount,
			Argv: []string{bins.Path(components.MetalLBSpeaker), fmt.Sprintf("--port=%d", SpeakerPort), "--log-level=info",
				"--namespace=" + Namespace, "--node-name=" + n.Name, "--pod-name=" + SpeakerPod(n.Name), "--host=" + n.IP.String()}})
	}
	return out
}

// SpeakerPod is the name of node's speaker Pod.
func SpeakerPod(node string) string { return "speaker-" + node }

// ensureSpeakerPods creates the Pod object of every node's speaker.
// MetalLB's speaker reads its own Pod at start (the owner of its
// ServiceBGPStatus objects), so each gets a Pod bound to its node, as its
// DaemonSet would make; the process runs beside it (the backend starts
// it), and the Pod says so in an annotation.
func ensureSpeakerPods(ctx context.Context, cs kubernetes.Interface) error {
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("failed to list nodes: %w", err)
	}
	for _, n := range nodes.Items {
		if err := ensureSpeakerPod(ctx, cs, n.Name); err != nil {
			return err
		}
	}
	return nil
}

func ensureSpeakerPod(ctx context.Context, cs kubernetes.Interface, node string) error {
	const runsAs = "a process on this node started by lblab (--controller metallb); this Pod only gives MetalLB's speaker its own object"
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: SpeakerPod(node), Namespace: Namespace,
			Labels:      map[string]string{"app": "metallb", "component": "speaker"},
			Annotations: map[string]string{"lblab.dev/runs-as": runsAs}},
		Spec: corev1.PodSpec{
			NodeName: node, HostNetwork: true, ServiceAccountName: SpeakerServiceAccount,
			AutomountServiceAccountToken: ptr.To(false),
			Containers:                   []corev1.Container{{Name: "speaker", Image: "quay.io/metallb/speaker:" + components.MetalLBVersion}},
			Tolerations:                  []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
		},
	}
	_, err := cs.CoreV1().Pods(Namespace).Create(ctx, p, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to create Pod %s/%s: %w", Namespace, p.Name, err)
	}
	return nil
}
