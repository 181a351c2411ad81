package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// terminatePod stops a pod being deleted, cleans up after it and finalizes
// the deletion as the kubelet does: a delete with grace period 0 and the
// pod's UID as precondition.
func (a *Agent) terminatePod(ctx context.Context, key string, pod *corev1.Pod, st *podState) (time.Duration, error) {
	if st == nil && a.wasFinalized(pod.UID) {
		return 0, nil // the informer has not caught up with our delete yet
	}
	if st != nil {
		if !a.stopPod(st, pod) {
			return pollInterval, nil
		}
		_ = st.save()
		if err := a.reportPod(ctx, pod, st); err != nil && !apierrors.IsNotFound(err) {
			a.log.Error("failed to report the stopped pod's status", "pod", key, "err", err)
		}
		if err := a.cleanupPod(key, st); err != nil {
			return 0, err
		}
	}
	err := a.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: new(int64),
		Preconditions:      metav1.NewUIDPreconditions(string(pod.UID)),
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return 0, fmt.Errorf("failed to finalize the deletion of pod %s: %w", key, err)
	}
	a.markFinalized(pod.UID)
	a.log.Info("pod deleted", "pod", key)
	return 0, nil
}

// markFinalized remembers for a minute that a pod's deletion was finalized.
func (a *Agent) markFinalized(uid types.UID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	for u, t := range a.finalized {
		if now.Sub(t) > time.Minute {
			delete(a.finalized, u)
		}
	}
	a.finalized[uid] = now
}

func (a *Agent) wasFinalized(uid types.UID) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.finalized[uid]
	return ok
}

// stopPod stops every container of a pod: SIGQUIT (nginx's graceful
// shutdown) first, SIGKILL once the grace period is over. It reports
// whether all have stopped; call it again until they have.
func (a *Agent) stopPod(st *podState, pod *corev1.Pod) bool {
	now := time.Now()
	if !st.killing {
		grace := time.Second // the pod is gone from the API: no reason to wait long
		if pod != nil {
			grace = time.Duration(st.Grace) * time.Second
			if pod.DeletionGracePeriodSeconds != nil {
				grace = time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
			}
		}
		st.killing, st.killDeadline = true, now.Add(grace)
		for name, cs := range st.Containers {
			a.stopProbe(cs.ID)
			if cs.PID == 0 {
				continue
			}
			if pod != nil {
				a.recorder.Eventf(pod, corev1.EventTypeNormal, "Killing", "Stopping container %s", name)
			}
			if err := a.rt.Signal(cs.PID, cs.Match, syscall.SIGQUIT); err != nil {
				a.log.Error("failed to stop container", "container", name, "err", err)
			}
		}
	}
	done := true
	for _, cs := range st.Containers {
		if cs.PID == 0 {
			continue
		}
		ps := a.rt.State(cs.PID, cs.Match)
		if !ps.Running {
			t := exitOf(cs, ps)
			cs.Done, cs.PID = t, 0
			continue
		}
		done = false
		if now.After(st.killDeadline) {
			_ = a.rt.Signal(cs.PID, cs.Match, syscall.SIGKILL)
		}
	}
	return done
}

// cleanupPod removes what a stopped pod held: stray processes, its network
// namespace and veth (with a plugin: its DEL), its IPs and its directory.
func (a *Agent) cleanupPod(key string, st *podState) error {
	var errs []error
	if err := a.rt.KillNetns(st.Netns); err != nil {
		errs = append(errs, err)
	}
	if err := a.net.Teardown(st.network()); err != nil {
		errs = append(errs, err)
	}
	if err := a.wiring.release(st); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("failed to clean up pod %s: %w", key, err)
	}
	if err := os.RemoveAll(st.dir); err != nil {
		return fmt.Errorf("failed to remove %s: %w", st.dir, err)
	}
	for _, cs := range st.Containers {
		a.stopProbe(cs.ID)
	}
	a.setState(key, nil)
	a.log.Info("pod cleaned up", "pod", key, "netns", st.Netns)
	return nil
}
