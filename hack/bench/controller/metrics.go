package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
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

// reconcileTotals returns the controller's cumulative Service reconcile
// time and count (lblab_controller_reconcile_duration_seconds).
func reconcileTotals(url string) (sum float64, count int, err error) {
	if url == "" {
		return 0, 0, fmt.Errorf("no metrics URL")
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		switch name {
		case `lblab_controller_reconcile_duration_seconds_sum{kind="service"}`:
			sum, _ = strconv.ParseFloat(val, 64)
		case `lblab_controller_reconcile_duration_seconds_count{kind="service"}`:
			n, _ := strconv.ParseFloat(val, 64)
			count = int(n)
		}
	}
	return sum, count, sc.Err()
}
