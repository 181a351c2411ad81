package main

import (
	"context"
	"errors"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/lblab/lblab/internal/promtext"
)

// controllerMetricsURL finds the controller's /metrics: port 7472 on the
// control-plane node, which the host reaches through the lab's
// management link.
func controllerMetricsURL(ctx context.Context, cs kubernetes.Interface) string {
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: "node-role.kubernetes.io/control-plane"})
	if err != nil || len(nodes.Items) == 0 {
		return ""
	}
	for _, a := range nodes.Items[0].Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			if ip, err := netip.ParseAddr(a.Address); err == nil {
				return "http://" + netip.AddrPortFrom(ip, 7472).String() + "/metrics"
			}
		}
	}
	return ""
}

// reconcileTotals reads the controller's Service reconciles so far: their
// total time and count (lblab_controller_reconcile_duration_seconds).
func reconcileTotals(ctx context.Context, url string) (promtext.Histogram, error) {
	if url == "" {
		return promtext.Histogram{}, errors.New("no metrics URL")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return promtext.Scrape(ctx, url, promtext.ControllerService)
}
