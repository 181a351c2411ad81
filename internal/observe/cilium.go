package observe

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/lblab/lblab/internal/dataplane/cilium"
)

// PodExec runs a command in a pod's container and returns its stdout.
type PodExec func(ctx context.Context, namespace, pod, container string, argv ...string) ([]byte, error)

// Cilium reads the LB map (`cilium-dbg bpf lb list -o json`) and the
// source-range maps (`… --source-ranges -o json`) in the Cilium agent pod
// on node.
func Cilium(ctx context.Context, kc kubernetes.Interface, exec PodExec, node string) ([]cilium.Frontend, cilium.SourceRanges, []Output, error) {
	pods, err := kc.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=cilium",
		FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("failed to find the Cilium agent on %s: %w", node, err)
	}
	pod := ""
	for _, p := range pods.Items { // the field selector, checked
		if p.Spec.NodeName == node {
			pod = p.Name
			break
		}
	}
	if pod == "" {
		return nil, nil, nil, fmt.Errorf("no Cilium agent pod (kube-system, k8s-app=cilium) on %s", node)
	}
	var outs []Output
	run := func(argv ...string) ([]byte, error) {
		data, err := exec(ctx, "kube-system", pod, "cilium-agent", argv...)
		if err != nil {
			return nil, err
		}
		outs = append(outs, Output{Host: node, Command: strings.Join(argv, " "), Data: data})
		return data, nil
	}
	data, err := run("cilium-dbg", "bpf", "lb", "list", "-o", "json")
	if err != nil {
		return nil, nil, outs, err
	}
	fes, err := cilium.Parse(data)
	if err != nil {
		return nil, nil, outs, err
	}
	if data, err = run("cilium-dbg", "bpf", "lb", "list", "--source-ranges", "-o", "json"); err != nil {
		return fes, nil, outs, err
	}
	ranges, err := cilium.ParseSourceRanges(data)
	return fes, ranges, outs, err
}
