package observe

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/lblab/lblab/internal/dataplane/cilium"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
)

// PodExec runs a command in a pod's container and returns its stdout.
type PodExec func(ctx context.Context, namespace, pod, container string, argv ...string) ([]byte, error)

// Cilium reads the LB map (`cilium-dbg bpf lb list -o json`) and the
// source-range maps (`… --source-ranges -o json`) of node's Cilium agent:
// through node's Runner when the agent is a process of the node (netns),
// else in the agent's pod (kind).
func Cilium(ctx context.Context, kc kubernetes.Interface, exec PodExec, node lab.Node) ([]cilium.Frontend, cilium.SourceRanges, []Output, error) {
	var outs []Output
	dbg := func(argv ...string) ([]byte, error) {
		return node.Runner.Run(ctx, run.Cmd{Name: argv[0], Args: argv[1:]})
	}
	if !node.CiliumAgent {
		pod, err := ciliumPod(ctx, kc, node.Name)
		if err != nil {
			return nil, nil, nil, err
		}
		dbg = func(argv ...string) ([]byte, error) { return exec(ctx, "kube-system", pod, "cilium-agent", argv...) }
	}
	ask := func(argv ...string) ([]byte, error) {
		data, err := dbg(argv...)
		if err != nil {
			return nil, err
		}
		outs = append(outs, Output{Host: node.Name, Command: strings.Join(argv, " "), Data: data})
		return data, nil
	}
	data, err := ask("cilium-dbg", "bpf", "lb", "list", "-o", "json")
	if err != nil {
		return nil, nil, outs, err
	}
	fes, err := cilium.Parse(data)
	if err != nil {
		return nil, nil, outs, err
	}
	if data, err = ask("cilium-dbg", "bpf", "lb", "list", "--source-ranges", "-o", "json"); err != nil {
		return fes, nil, outs, err
	}
	ranges, err := cilium.ParseSourceRanges(data)
	return fes, ranges, outs, err
}

// ciliumPod finds the Cilium agent's pod on a node.
func ciliumPod(ctx context.Context, kc kubernetes.Interface, node string) (string, error) {
	pods, err := kc.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=cilium",
		FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return "", fmt.Errorf("failed to find the Cilium agent on %s: %w", node, err)
	}
	for _, p := range pods.Items { // the field selector, checked
		if p.Spec.NodeName == node {
			return p.Name, nil
		}
	}
	return "", fmt.Errorf("no Cilium agent pod (kube-system, k8s-app=cilium) on %s", node)
}
