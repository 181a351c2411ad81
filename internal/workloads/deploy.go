package workloads

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lblab/lblab/internal/topology"
)

// DefaultTimeout bounds the wait for workloads to be Ready.
const DefaultTimeout = 3 * time.Minute

// Deploy applies the workloads with the kubeconfig's credentials and waits
// until they are Ready.
func Deploy(ctx context.Context, kubeconfig string, ws []topology.Workload) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("failed to load %s: %w", kubeconfig, err)
	}
	cfg.QPS, cfg.Burst, cfg.UserAgent = 50, 100, "lblab"
	// Lab API servers are on lab (or loopback) addresses; a user's proxy
	// cannot reach them.
	cfg.Proxy = func(*http.Request) (*url.URL, error) { return nil, nil }
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if err := Apply(ctx, cs, ws); err != nil {
		return err
	}
	return Wait(ctx, cs, ws, DefaultTimeout)
}

// Describe is a short summary for progress lines: "web (3 × nginx)".
func Describe(ws []topology.Workload) string {
	var parts []string
	for _, w := range ws {
		parts = append(parts, fmt.Sprintf("%s (%d × %s)", w.Name, replicas(w), w.Image))
	}
	return strings.Join(parts, ", ")
}
