package nodeagent

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fakePluginNetwork is a PluginNetwork over fakeNetwork, as a CNI plugin:
// Attach hands out ips in this order, and PodNetworks lists attachments
// without host veths, as libcni's cache does.
type fakePluginNetwork struct {
	*fakeNetwork
	ips []netip.Addr
}

func (n *fakePluginNetwork) Attach(p PodNetwork) (PodNetwork, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.record("attach %s %s/%s %s", p.Netns, p.PodNamespace, p.PodName, p.PodUID)
	if n.failSetup != nil {
		return p, n.failSetup
	}
	p.IPs, p.Gateways, p.HostVeth = n.ips, nil, "lxc"+string(p.PodUID)[:8]
	n.pods[p.Netns] = p
	return p, nil
}

func (n *fakePluginNetwork) PodNetworks() ([]PodNetwork, error) {
	got, err := n.fakeNetwork.PodNetworks()
	for i := range got {
		got[i].HostVeth = ""
	}
	return got, err
}

func newPluginHarness(t *testing.T, cfg Config, ips ...string) *harness {
	var addrs []netip.Addr
	for _, s := range ips {
		addrs = append(addrs, netip.MustParseAddr(s))
	}
	return newHarnessNet(t, cfg, func(n *fakeNetwork) Network { return &fakePluginNetwork{fakeNetwork: n, ips: addrs} }, nil)
}

// In CNI mode the plugin's IPs are the pod's, the node's primary family
// first, without pod CIDRs, IPAM, routes or masquerading of the agent's.
func TestCNIModePodIPs(t *testing.T) {
	v4, v6 := "10.0.1.7", "fd00:10::7"
	for _, tc := range []struct {
		name    string
		nodeIPs []string
		plugin  []string
		want    []string
	}{
		{"v4 node", []string{"10.89.0.10", "fd00:89::10"}, []string{v6, v4}, []string{v4, v6}},
		{"v6 node", []string{"fd00:89::10", "10.89.0.10"}, []string{v4, v6}, []string{v6, v4}},
		{"v6 node, v4 pod", []string{"fd00:89::10"}, []string{v4}, []string{v4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.NodeIPs = nil
			for _, s := range tc.nodeIPs {
				cfg.NodeIPs = append(cfg.NodeIPs, netip.MustParseAddr(s))
			}
			h := newPluginHarness(t, cfg, tc.plugin...)
			h.eventually("node registered", func() string {
				if h.node("node1") == nil {
					return "no Node node1"
				}
				return ""
			})
			h.readyNode() // without pod CIDRs: the plugin's IPAM needs none
			h.createPod(nginxPod("web-1", "0a1b2c3d-0000-4000-8000-000000000001", "nginx", 80))
			p := h.readyPod("web-1")
			var got []string
			for _, ip := range p.Status.PodIPs {
				got = append(got, ip.IP)
			}
			if !slices.Equal(got, tc.want) || p.Status.PodIP != tc.want[0] {
				t.Errorf("podIP %s podIPs %v, want %v", p.Status.PodIP, got, tc.want)
			}
			_, _, calls := h.net.snapshot()
			wantAttach := "attach t_pod-0a1b2c3d-0000-4000-8000-000000000001 default/web-1 0a1b2c3d-0000-4000-8000-000000000001"
			if !slices.Contains(calls, wantAttach) {
				t.Errorf("calls %q lack %q", calls, wantAttach)
			}
			for _, c := range calls {
				if strings.HasPrefix(c, "setup") || strings.HasPrefix(c, "routes") || strings.HasPrefix(c, "masquerade") {
					t.Errorf("CNI mode called %q", c)
				}
			}
			if _, err := os.Stat(filepath.Join(cfg.RunDir, "ipam")); !os.IsNotExist(err) {
				t.Errorf("the agent's IPAM ran: %v", err)
			}
			st, err := loadPodState(filepath.Join(cfg.RunDir, "pods", "default_web-1"))
			if err != nil || st.HostVeth != "lxc0a1b2c3d" || fmt.Sprint(st.IPs) != "["+strings.Join(tc.want, " ")+"]" {
				t.Errorf("saved state = %+v, %v", st, err)
			}
		})
	}
}

// A failed ADD is reported and retried; a restarted agent keeps its pods'
// attachments, DELs those no pod explains, and a deleted pod is DELed.
func TestCNIModeRetryAdoptAndDelete(t *testing.T) {
	cfg := testConfig(t)
	h := newPluginHarness(t, cfg, "10.0.1.7")
	h.net.mu.Lock()
	h.net.failSetup = fmt.Errorf("unable to connect to Cilium agent")
	h.net.mu.Unlock()
	h.createPod(nginxPod("web-1", "0a1b2c3d-0000-4000-8000-000000000001", "nginx", 80))
	h.eventually("FailedCreatePodSandBox", func() string {
		ev, _ := h.client.CoreV1().Events("default").List(context.Background(), metav1.ListOptions{})
		for _, e := range ev.Items {
			if e.Reason == "FailedCreatePodSandBox" && strings.Contains(e.Message, "Cilium agent") {
				return ""
			}
		}
		return fmt.Sprintf("%d events, none FailedCreatePodSandBox", len(ev.Items))
	})
	h.net.mu.Lock()
	h.net.failSetup = nil
	h.net.mu.Unlock()
	if p := h.readyPod("web-1"); p.Status.PodIP != "10.0.1.7" {
		t.Errorf("podIP = %q", p.Status.PodIP)
	}

	h.stop()
	h.net.mu.Lock()
	h.net.orphans = []PodNetwork{{Netns: "t_pod-deadbeef", PodUID: "deadbeef"}}
	h.net.mu.Unlock()
	h.start()
	h.eventually("orphan DELed, web-1 kept", func() string {
		pods, _, calls := h.net.snapshot()
		h.net.mu.Lock()
		orphans := len(h.net.orphans)
		h.net.mu.Unlock()
		if _, ok := pods["t_pod-0a1b2c3d-0000-4000-8000-000000000001"]; !ok || orphans != 0 {
			return fmt.Sprintf("networks %v, %d orphans, after %q", pods, orphans, calls)
		}
		return ""
	})
	if starts, _ := h.rt.snapshot(); len(starts) != 1 {
		t.Errorf("starts = %d, want web-1's one", len(starts))
	}

	if err := h.client.CoreV1().Pods("default").Delete(context.Background(), "web-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.eventually("web-1 DELed", func() string {
		pods, _, calls := h.net.snapshot()
		if len(pods) != 0 || !slices.Contains(calls, "teardown t_pod-0a1b2c3d-0000-4000-8000-000000000001 lxc0a1b2c3d") {
			return fmt.Sprintf("networks %v after %q", pods, calls)
		}
		return ""
	})
}
