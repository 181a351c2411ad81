package nodeagent

import (
	"context"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"
)

// pollInterval is how often a pod being stopped is checked.
const pollInterval = 50 * time.Millisecond

// syncPod brings one pod (by key) in line with the API: runs it, stops it,
// or cleans up after it. It returns when to look again (0: on the next event).
func (a *Agent) syncPod(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	pod, err := a.podLister.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		pod = nil
	} else if err != nil {
		return 0, err
	}
	if pod != nil && pod.Spec.NodeName != a.cfg.Node {
		pod = nil
	}
	st := a.state(key)
	if st != nil && (pod == nil || pod.UID != st.UID) {
		// Gone from the API (force-deleted, or deleted while the agent was
		// down) or replaced by a namesake: stop and clean up what is left.
		if !a.stopPod(st, nil) {
			return pollInterval, nil
		}
		if err := a.cleanupPod(key, st); err != nil {
			return 0, err
		}
		st = nil
	}
	switch {
	case pod == nil:
		return 0, nil
	case pod.DeletionTimestamp != nil:
		return a.terminatePod(ctx, key, pod, st)
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		// Terminal: its status stays as reported; release what it held.
		if st != nil {
			if !a.stopPod(st, pod) {
				return pollInterval, nil
			}
			return 0, a.cleanupPod(key, st)
		}
		return 0, nil
	}
	if st == nil {
		st = a.addPodState(key, pod)
		if err := st.save(); err != nil {
			return 0, err
		}
	}
	return a.runPod(ctx, key, pod, st)
}

// addPodState records a new pod, choosing names for its network that no
// other pod of this node has.
func (a *Agent) addPodState(key string, pod *corev1.Pod) *podState {
	a.mu.Lock()
	defer a.mu.Unlock()
	taken := func(veth string) bool {
		for _, s := range a.states {
			if s.HostVeth == veth {
				return true
			}
		}
		return false
	}
	netns, veth := podNetNames(a.cfg.Lab, pod.UID, taken)
	grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		grace = *pod.Spec.TerminationGracePeriodSeconds
	}
	st := &podState{
		UID: pod.UID, Namespace: pod.Namespace, Name: pod.Name,
		Netns: netns, HostVeth: veth, StartTime: time.Now(), Grace: grace,
		Containers: map[string]*containerState{},
		dir:        filepath.Join(a.cfg.RunDir, "pods", podDirName(pod.Namespace, pod.Name)),
		seen:       time.Now(),
	}
	a.states[key] = st
	return st
}

// runPod sets up the pod's network, runs its containers and reports.
func (a *Agent) runPod(ctx context.Context, key string, pod *corev1.Pod, st *podState) (time.Duration, error) {
	if reason, msg := unsupported(pod); reason != "" {
		if !st.warned {
			st.warned = true
			a.recorder.Event(pod, corev1.EventTypeWarning, reason, msg)
		}
		return 0, a.reportPod(ctx, pod, st)
	}
	if !st.networkReady {
		if err := a.setupNetwork(pod, st); err != nil {
			st.netErr = err.Error()
			if rerr := a.reportPod(ctx, pod, st); rerr != nil {
				a.log.Error("failed to report pod status", "pod", key, "err", rerr)
			}
			if st.IPs == nil && a.wiring.needsPodCIDRs() { // no pod CIDR yet: the Node update brings the pod back
				return 0, nil
			}
			a.recorder.Event(pod, corev1.EventTypeWarning, "FailedCreatePodSandBox", err.Error())
			return 0, err
		}
	}
	requeue := a.cfg.Resync
	dirty := false
	for i := range pod.Spec.Containers {
		d, changed := a.syncContainer(ctx, key, pod, st, &pod.Spec.Containers[i])
		if d > 0 {
			requeue = min(requeue, d)
		}
		dirty = dirty || changed
	}
	if dirty {
		if err := st.save(); err != nil {
			return 0, err
		}
	}
	// nginx usually accepts connections within milliseconds of its start:
	// rather than report Running and then Ready (two writes), wait a little
	// for the readiness check, which brings the pod back when it passes.
	if wait := a.startingGrace(pod, st); wait > 0 {
		return min(requeue, wait), nil
	}
	return requeue, a.reportPod(ctx, pod, st)
}

// setupNetwork gives the pod its IPs and wires its namespace (wiring).
func (a *Agent) setupNetwork(pod *corev1.Pod, st *podState) error {
	if err := a.wiring.connect(pod, st); err != nil {
		return err
	}
	st.networkReady, st.netErr = true, ""
	return nil
}

// startingWindow is how long after a container's start the agent waits for
// it to become ready before it reports the pod Running but not Ready.
const startingWindow = 250 * time.Millisecond

// startingGrace returns how much longer to hold back a report because a
// container has just started and is not ready yet.
func (a *Agent) startingGrace(pod *corev1.Pod, st *podState) time.Duration {
	var wait time.Duration
	for _, c := range pod.Spec.Containers {
		cs := st.Containers[c.Name]
		if cs == nil || cs.PID == 0 || a.isReady(cs.ID) {
			continue
		}
		if left := startingWindow - time.Since(cs.StartedAt); left > wait {
			wait = left
		}
	}
	return wait
}
