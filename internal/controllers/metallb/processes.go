package metallb

import (
	"context"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

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

// Node is a Kubernetes node a speaker runs on.
type Node struct {
	Name string
	IP   netip.Addr // its first InternalIP: the speaker's HTTP host
}

// Process is one MetalLB process as a backend runs it (with KUBECONFIG
// holding a token of ServiceAccount).
type Process struct {
	Name           string // "metallb speaker on node1"
	File           string // unit, log and pid file name
	Node           string // "" for the controller (the control plane)
	Argv           []string
	ServiceAccount string
}

// Processes are MetalLB's controller (webhook off, no memberlist secret)
// and a speaker per node, run from bins.
func Processes(bins components.Binaries, nodes []Node) []Process {
	out := []Process{{Name: "metallb controller", File: "metallb-controller", ServiceAccount: ControllerServiceAccount,
		Argv: []string{bins.Path(components.MetalLBController), fmt.Sprintf("--port=%d", ControllerPort), "--log-level=info",
			"--namespace=" + Namespace, "--webhook-mode=disabled", "--disable-cert-rotation"}}}
	for _, n := range nodes {
		out = append(out, Process{Name: "metallb speaker on " + n.Name, File: n.Name + "-metallb-speaker", Node: n.Name,
			ServiceAccount: SpeakerServiceAccount,
			Argv: []string{bins.Path(components.MetalLBSpeaker), fmt.Sprintf("--port=%d", SpeakerPort), "--log-level=info",
				"--namespace=" + Namespace, "--node-name=" + n.Name, "--pod-name=" + SpeakerPod(n.Name), "--host=" + n.IP.String()}})
	}
	return out
}

// SpeakerPod is the name of node's speaker Pod.
func SpeakerPod(node string) string { return "speaker-" + node }

// EnsureSpeakerPod creates the Pod object of node's speaker. MetalLB's
// speaker reads its own Pod at start (the owner of its ServiceBGPStatus
// objects), so each gets a Pod bound to its node, as its DaemonSet would
// make; the process runs beside it, and the Pod says so in an annotation.
func EnsureSpeakerPod(ctx context.Context, cs kubernetes.Interface, node, runsAs string) error {
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
