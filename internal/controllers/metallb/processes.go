package metallb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/lblab/lblab/internal/controllers"
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/topology"
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

// Memberlist, which MetalLB's speakers run in L2 mode to notice a dead
// speaker within seconds: its port (upstream's), the labels its speakers
// find each other's Pods by, and the file name of its key.
const (
	MemberlistPort   = 7946
	memberlistLabels = "app=metallb,component=speaker"
	memberlistKey    = "secretkey" // k8s.MLSecretKeyName in MetalLB
)

// Processes are MetalLB's controller (webhook off) and a speaker per
// node, run from bins with $KUBECONFIG. In L2 mode the speakers also run
// memberlist on their node's address, as upstream's DaemonSet does: it is
// how MetalLB notices a dead speaker and moves its IPs. They find each
// other through their Pods' IPs (ensureSpeakerPods) and encrypt with a key
// of the lab's, in the directory each process prepares.
func Processes(bins components.Binaries, t *topology.Topology, nodes []controllers.Node) []controllers.Process {
	out := []controllers.Process{{Name: "metallb controller", File: "metallb-controller",
		Namespace: Namespace, ServiceAccount: ControllerServiceAccount,
		Argv: []string{bins.Path(components.MetalLBController), fmt.Sprintf("--port=%d", ControllerPort), "--log-level=info",
			"--namespace=" + Namespace, "--webhook-mode=disabled", "--disable-cert-rotation"}}}
	key := memberlistSecret(nodes)
	for _, n := range nodes {
		p := controllers.Process{Name: "metallb speaker on " + n.Name, File: n.Name + "-metallb-speaker", Node: n.Name,
			Namespace: Namespace, ServiceAccount: SpeakerServiceAccount,
			Argv: []string{bins.Path(components.MetalLBSpeaker), fmt.Sprintf("--port=%d", SpeakerPort), "--log-level=info",
				"--namespace=" + Namespace, "--node-name=" + n.Name, "--pod-name=" + SpeakerPod(n.Name), "--host=" + n.IP.String()}}
		if t.Controller.Mode == topology.ModeL2 {
			p.Argv = append(p.Argv, "--ml-bindaddr="+n.IP.String(), fmt.Sprintf("--ml-bindport=%d", MemberlistPort),
				"--ml-labels="+memberlistLabels, "--ml-secret-key-path="+controllers.TmpDir)
			p.Prepare = func(dir string) error {
				return os.WriteFile(filepath.Join(dir, memberlistKey), []byte(key), 0o600)
			}
		}
		out = append(out, p)
	}
	return out
}

// memberlistSecret is the speakers' memberlist key: the same for every
// speaker of a lab and across `up`s (a restarted speaker must rejoin),
// derived from the lab's nodes. Upstream's controller makes a random one
// and keeps it in a Secret; a lab has nothing to keep it from.
func memberlistSecret(nodes []controllers.Node) string {
	h := sha256.New()
	for _, n := range nodes {
		fmt.Fprintf(h, "%s=%s\n", n.Name, n.IP)
	}
	return hex.EncodeToString(h.Sum(nil))
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
