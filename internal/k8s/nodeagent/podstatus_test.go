package nodeagent

import (
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestBuildPodStatus(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	earlier := metav1.NewTime(now.Add(-time.Hour))
	running := func() *podState {
		return &podState{networkReady: true, IPs: []netip.Addr{netip.MustParseAddr("10.244.1.2")}, StartTime: now,
			Containers: map[string]*containerState{"web": {ID: "abc", PID: 10, StartedAt: now}}}
	}
	in := statusInput{now: now, hostIPs: []netip.Addr{netip.MustParseAddr("10.89.0.10")}, imageID: "x",
		ready: func(string) bool { return true }}
	cond := func(s corev1.PodStatus, ty corev1.PodConditionType) corev1.PodCondition {
		for _, c := range s.Conditions {
			if c.Type == ty {
				return c
			}
		}
		return corev1.PodCondition{}
	}
	for _, tc := range []struct {
		name  string
		pod   func(*corev1.Pod)
		st    func(*podState)
		check func(t *testing.T, s corev1.PodStatus)
	}{
		{"running and ready", nil, nil, func(t *testing.T, s corev1.PodStatus) {
			if s.Phase != corev1.PodRunning || cond(s, corev1.PodReady).Status != corev1.ConditionTrue || s.PodIP != "10.244.1.2" {
				t.Errorf("status = %+v", s)
			}
		}},
		{"others' fields and conditions are kept", func(p *corev1.Pod) {
			p.Status.NominatedNodeName = "node9"
			p.Status.Conditions = append(p.Status.Conditions,
				corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "PreemptionByScheduler"},
				corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: earlier})
		}, nil, func(t *testing.T, s corev1.PodStatus) {
			if s.NominatedNodeName != "node9" || cond(s, corev1.DisruptionTarget).Reason != "PreemptionByScheduler" {
				t.Errorf("lost others' status: %+v", s)
			}
			if got := cond(s, corev1.PodReady).LastTransitionTime; !got.Equal(&earlier) {
				t.Errorf("Ready's transition time = %v, want the unchanged %v", got, earlier)
			}
		}},
		{"readiness gate not met", func(p *corev1.Pod) {
			p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "lblab.dev/lb-ready"}}
		}, nil, func(t *testing.T, s corev1.PodStatus) {
			if cond(s, corev1.ContainersReady).Status != corev1.ConditionTrue || cond(s, corev1.PodReady).Reason != "ReadinessGatesNotReady" {
				t.Errorf("conditions = %+v", s.Conditions)
			}
		}},
		{"network not ready", nil, func(st *podState) {
			st.networkReady, st.netErr = false, "waiting for the node's pod CIDR"
			st.Containers = map[string]*containerState{}
		}, func(t *testing.T, s corev1.PodStatus) {
			w := s.ContainerStatuses[0].State.Waiting
			if s.Phase != corev1.PodPending || s.PodIP != "" || w == nil || w.Message != "waiting for the node's pod CIDR" ||
				cond(s, corev1.PodReadyToStartContainers).Status != corev1.ConditionFalse {
				t.Errorf("status = %+v", s)
			}
		}},
		{"crash loop is Running, not Ready", nil, func(st *podState) {
			st.Containers["web"] = &containerState{ID: "abc", RestartCount: 3, BackoffUntil: now.Add(20 * time.Second),
				Last: &terminated{ID: "abc", ExitCode: 1, Reason: "Error", FinishedAt: now}}
		}, func(t *testing.T, s corev1.PodStatus) {
			cs := s.ContainerStatuses[0]
			if s.Phase != corev1.PodRunning || cs.State.Waiting == nil || cs.State.Waiting.Reason != ReasonCrashLoopBackOff ||
				cs.RestartCount != 3 || cs.LastTerminationState.Terminated.ExitCode != 1 || cond(s, corev1.PodReady).Status != corev1.ConditionFalse {
				t.Errorf("status = %+v", s)
			}
		}},
		{"all done with 0 is Succeeded", nil, func(st *podState) {
			st.Containers["web"] = &containerState{ID: "abc", Done: &terminated{ID: "abc", Reason: "Completed", FinishedAt: now}}
		}, func(t *testing.T, s corev1.PodStatus) {
			if s.Phase != corev1.PodSucceeded || s.ContainerStatuses[0].State.Terminated == nil {
				t.Errorf("status = %+v", s)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := nginxPod("web-1", "u1", "nginx", 80)
			if tc.pod != nil {
				tc.pod(pod)
			}
			st := running()
			if tc.st != nil {
				tc.st(st)
			}
			tc.check(t, buildPodStatus(pod, st, in))
		})
	}
}
