package nodeagent

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// statusInput is what buildPodStatus needs besides the pod and its state.
type statusInput struct {
	now     time.Time
	hostIPs []netip.Addr
	imageID string
	ready   func(containerID string) bool
}

// buildPodStatus computes the pod's status from what the agent knows. It
// keeps what others own (nominatedNodeName, resource claim statuses, the
// conditions PodScheduled, DisruptionTarget and readiness gates) and the
// transition times of conditions that did not change.
func buildPodStatus(pod *corev1.Pod, st *podState, in statusInput) corev1.PodStatus {
	s := *pod.Status.DeepCopy()
	s.ObservedGeneration = pod.Generation
	s.HostIPs, s.PodIPs, s.ContainerStatuses = nil, nil, nil
	s.HostIP, s.PodIP = "", ""
	if s.StartTime == nil {
		t := mtime(st.StartTime)
		s.StartTime = &t
	}
	for _, ip := range in.hostIPs {
		s.HostIPs = append(s.HostIPs, corev1.HostIP{IP: ip.String()})
	}
	if len(s.HostIPs) > 0 {
		s.HostIP = s.HostIPs[0].IP
	}
	if pod.Spec.HostNetwork {
		// As the kubelet reports them, whether or not the agent runs the
		// pod: MetalLB's speakers, which lblab runs as processes, find
		// each other's memberlist by these.
		for _, ip := range in.hostIPs {
			s.PodIPs = append(s.PodIPs, corev1.PodIP{IP: ip.String()})
		}
		if len(s.PodIPs) > 0 {
			s.PodIP = s.PodIPs[0].IP
		}
	} else if st.networkReady {
		for _, ip := range st.IPs {
			s.PodIPs = append(s.PodIPs, corev1.PodIP{IP: ip.String()})
		}
		if len(s.PodIPs) > 0 {
			s.PodIP = s.PodIPs[0].IP
		}
	}
	reason, msg := unsupported(pod)
	var notReady []string
	started, running, failed := 0, 0, 0
	for _, c := range pod.Spec.Containers {
		cs := containerStatus(pod, st, &c, in, reason, msg)
		if cs.State.Running != nil || cs.State.Terminated != nil || cs.LastTerminationState.Terminated != nil {
			started++
		}
		if cs.State.Running != nil || (cs.State.Waiting != nil && cs.LastTerminationState.Terminated != nil) {
			running++
		}
		if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
			failed++
		}
		if !cs.Ready {
			notReady = append(notReady, c.Name)
		}
		s.ContainerStatuses = append(s.ContainerStatuses, cs)
	}
	n := len(pod.Spec.Containers)
	switch {
	case running > 0:
		s.Phase = corev1.PodRunning
	case started < n:
		s.Phase = corev1.PodPending
	case failed > 0:
		s.Phase = corev1.PodFailed
	default:
		s.Phase = corev1.PodSucceeded
	}
	s.Conditions = podConditions(pod, st, in.now, notReady)
	return s
}

func containerStatus(pod *corev1.Pod, st *podState, c *corev1.Container, in statusInput, reason, msg string) corev1.ContainerStatus {
	out := corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: in.imageID}
	cs := st.Containers[c.Name]
	if cs == nil {
		cs = &containerState{}
	}
	out.RestartCount = cs.RestartCount
	if cs.Last != nil {
		out.LastTerminationState.Terminated = cs.Last.apply()
	}
	f := false
	out.Started = &f
	switch {
	case reason != "":
		r, m := reason, msg
		if isNginxImage(c.Image) && reason == ReasonImageUnsupported {
			r, m = ReasonContainerCreating, "not started: another container of the pod cannot run here"
		}
		out.State.Waiting = &corev1.ContainerStateWaiting{Reason: r, Message: m}
	case cs.PID != 0:
		t := true
		out.Started = &t
		out.ContainerID = containerID(cs.ID)
		out.State.Running = &corev1.ContainerStateRunning{StartedAt: mtime(cs.StartedAt)}
		out.Ready = in.ready(cs.ID)
	case cs.Done != nil:
		out.ContainerID = containerID(cs.Done.ID)
		out.State.Terminated = cs.Done.apply()
	case !st.networkReady:
		m := "setting up the pod network"
		if st.netErr != "" {
			m = st.netErr
		}
		out.State.Waiting = &corev1.ContainerStateWaiting{Reason: ReasonContainerCreating, Message: m}
	case cs.StartErr != "":
		out.State.Waiting = &corev1.ContainerStateWaiting{Reason: ReasonRunContainerError, Message: cs.StartErr}
	case cs.Last != nil && cs.BackoffUntil.After(in.now):
		out.State.Waiting = &corev1.ContainerStateWaiting{Reason: ReasonCrashLoopBackOff,
			Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)",
				cs.BackoffUntil.Sub(cs.Last.FinishedAt).Round(time.Second), c.Name, pod.Name, pod.Namespace, pod.UID)}
	default:
		out.State.Waiting = &corev1.ContainerStateWaiting{Reason: ReasonContainerCreating}
	}
	return out
}

// podConditions are the kubelet's conditions plus any others already set.
func podConditions(pod *corev1.Pod, st *podState, now time.Time, notReady []string) []corev1.PodCondition {
	cond := func(t corev1.PodConditionType, ok bool, reason, msg string) corev1.PodCondition {
		c := corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, ObservedGeneration: pod.Generation}
		if !ok {
			c.Status, c.Reason, c.Message = corev1.ConditionFalse, reason, msg
		}
		return c
	}
	containersReady := len(notReady) == 0
	unready := fmt.Sprintf("containers with unready status: [%s]", strings.Join(notReady, " "))
	mine := []corev1.PodCondition{
		cond(corev1.PodReadyToStartContainers, st.networkReady, "", ""),
		cond(corev1.PodInitialized, true, "", ""),
		cond(corev1.ContainersReady, containersReady, "ContainersNotReady", unready),
	}
	ready := cond(corev1.PodReady, containersReady, "ContainersNotReady", unready)
	if containersReady {
		if missing := unmetGates(pod); len(missing) > 0 {
			ready = cond(corev1.PodReady, false, "ReadinessGatesNotReady",
				fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist or is not True", missing[0]))
		}
	}
	mine = append(mine, ready)
	var out []corev1.PodCondition
	owned := map[corev1.PodConditionType]bool{}
	for _, c := range mine {
		owned[c.Type] = true
	}
	hasScheduled := false
	for _, o := range pod.Status.Conditions {
		if o.Type == corev1.PodScheduled {
			hasScheduled = true
		}
		if !owned[o.Type] {
			out = append(out, o)
		}
	}
	if !hasScheduled {
		out = append(out, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: mtime(now)})
	}
	for _, c := range mine {
		c.LastTransitionTime = mtime(now)
		for _, o := range pod.Status.Conditions {
			if o.Type == c.Type && o.Status == c.Status && !o.LastTransitionTime.IsZero() {
				c.LastTransitionTime = o.LastTransitionTime
			}
		}
		out = append(out, c)
	}
	return out
}

func unmetGates(pod *corev1.Pod) []string {
	var out []string
	for _, g := range pod.Spec.ReadinessGates {
		ok := false
		for _, c := range pod.Status.Conditions {
			if c.Type == g.ConditionType && c.Status == corev1.ConditionTrue {
				ok = true
			}
		}
		if !ok {
			out = append(out, string(g.ConditionType))
		}
	}
	return out
}
