package main

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/proc"
)

// Ports of MetalLB's metrics, the same as the bundled controller's in a
// netns lab (the controller and the control plane's speaker share a
// namespace, so they cannot both take MetalLB's default 7472).
const (
	controllerPort = "7472"
	speakerPort    = "7473"
)

// daemon is one MetalLB process.
type daemon struct {
	name, ns, file string
	argv, env      []string
}

func (k *kube) logFile(file string) string {
	return filepath.Join(lab.StateDir(k.o.lab), "logs", file+".log")
}

func (k *kube) pidFile(file string) string {
	return filepath.Join(lab.RunDir(k.o.lab), "metallb", file+".pid")
}

// ensure starts d unless it already runs; a start mints a fresh token.
func (k *kube) ensure(ctx context.Context, d daemon, sa string) error {
	if _, ok := proc.Alive(k.pidFile(d.file), d.argv[0]); ok {
		return nil
	}
	kc, err := k.tokenKubeconfig(ctx, sa, d.file+".conf")
	if err != nil {
		return err
	}
	env := append([]string{"KUBECONFIG=" + kc, "METALLB_NAMESPACE=" + Namespace}, d.env...)
	_, err = proc.Start(proc.Spec{Name: d.name, Netns: d.ns, Argv: d.argv, Env: env,
		LogFile: k.logFile(d.file), PIDFile: k.pidFile(d.file)})
	return err
}

// startController runs MetalLB's controller with its webhooks disabled
// (the CRDs have no conversion webhook; objects are validated by their
// OpenAPI schemas only) and no memberlist secret.
func (k *kube) startController(ctx context.Context) error {
	d := daemon{name: "metallb controller", ns: k.o.lab + "_control-plane", file: "metallb-controller",
		argv: []string{filepath.Join(k.o.bin, "controller"), "--port=" + controllerPort, "--log-level=info", "--webhook-mode=disabled"}}
	return k.ensure(ctx, d, "controller")
}

// startSpeakers runs a speaker on every node. MetalLB's speaker reads its
// own Pod at start (the owner of its ServiceBGPStatus objects), so each
// gets a Pod object bound to its node; the node agent reports it Waiting
// (it runs no hostNetwork pods) while the process runs beside it.
func (k *kube) startSpeakers(ctx context.Context, nodes []node) error {
	for _, n := range nodes {
		pod := "speaker-" + n.name
		if err := k.speakerPod(ctx, pod, n.name); err != nil {
			return err
		}
		d := daemon{name: "metallb speaker on " + n.name, ns: n.ns, file: n.name + "-metallb-speaker",
			argv: []string{filepath.Join(k.o.bin, "speaker"), "--port=" + speakerPort, "--log-level=info"},
			env:  []string{"METALLB_NODE_NAME=" + n.name, "METALLB_POD_NAME=" + pod, "METALLB_HOST=" + n.ips[0].String()}}
		if err := k.ensure(ctx, d, "speaker"); err != nil {
			return err
		}
	}
	return nil
}

func (k *kube) speakerPod(ctx context.Context, name, nodeName string) error {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace,
			Labels: map[string]string{"app": "metallb", "component": "speaker"},
			Annotations: map[string]string{"lblab.dev/runs-as": "a process in namespace " + k.o.lab + "_" + nodeName +
				" started by hack/metallb/install.sh; this Pod only gives the speaker its own object"}},
		Spec: corev1.PodSpec{
			NodeName: nodeName, HostNetwork: true, ServiceAccountName: "speaker",
			AutomountServiceAccountToken: ptr.To(false),
			Containers:                   []corev1.Container{{Name: "speaker", Image: "quay.io/metallb/speaker:" + k.o.version}},
			Tolerations:                  []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
		},
	}
	_, err := k.cs.CoreV1().Pods(Namespace).Create(ctx, p, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to create Pod %s/%s: %w", Namespace, name, err)
	}
	return nil
}

// waitSessions waits until the TOR has an Established session with every
// node in each of the TOR's families, and fails early (with the log's
// tail) when a MetalLB process exits.
func (k *kube) waitSessions(ctx context.Context, nodes []node, timeout time.Duration) error {
	files := []string{"metallb-controller"}
	for _, n := range nodes {
		files = append(files, n.name+"-metallb-speaker")
	}
	deadline := time.Now().Add(timeout)
	for {
		for _, f := range files {
			if _, ok := proc.Alive(k.pidFile(f), ""); !ok {
				return fmt.Errorf("%s exited; the end of %s:\n%s", f, k.logFile(f), proc.Tail(k.logFile(f), 20))
			}
		}
		missing := k.missingSessions(ctx, nodes)
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no Established session on the TOR from %s after %s (speaker logs: %s)",
				strings.Join(missing, ", "), timeout, filepath.Join(lab.StateDir(k.o.lab), "logs", "*-metallb-speaker.log"))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (k *kube) missingSessions(ctx context.Context, nodes []node) []string {
	sock := filepath.Join(lab.RunDir(k.o.lab), "tor")
	cmd := proc.Spec{Netns: k.o.lab + "_tor", Argv: []string{"vtysh", "--vty_socket", sock, "-c", "show bgp summary json"}}.Command()
	cmd.SysProcAttr = nil
	out, _ := cmd.Output()
	var est []netip.Addr
	if sum, err := frr.ParseSummary(out); err == nil {
		est = sum.Established()
	}
	var missing []string
	for _, n := range nodes {
		for _, ip := range n.ips {
			if !slices.Contains(est, ip) {
				missing = append(missing, n.name+" "+ip.String())
			}
		}
	}
	return missing
}
