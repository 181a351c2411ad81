package nodeagent

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// AnnotationAccessLog is set on every pod the agent runs: the path (on the
// machine) of the nginx access log, whose lines start with $remote_addr.
const AnnotationAccessLog = "lblab.dev/access-log"

// reportPod patches the pod's status (and access-log annotation) when they
// differ from what the API has. The patch carries the pod's UID, so it
// never lands on a namesake.
func (a *Agent) reportPod(ctx context.Context, pod *corev1.Pod, st *podState) error {
	in := statusInput{now: time.Now(), hostIPs: a.cfg.NodeIPs, imageID: a.imageID(), ready: a.isReady}
	status := buildPodStatus(pod, st, in)
	annotations := map[string]string{}
	if unsupportedReason, _ := unsupported(pod); unsupportedReason == "" {
		annotations[AnnotationAccessLog] = filepath.Join(st.dir, "access.log")
	}
	if statusEqual(pod.Status, status) && hasAnnotations(pod, annotations) {
		return nil
	}
	patch, err := statusPatch(pod, status, annotations)
	if err != nil {
		return err
	}
	_, err = a.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil {
		return fmt.Errorf("failed to patch the status of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	if !st.readyLogged && !st.seen.IsZero() && podReady(status) {
		st.readyLogged = true
		a.log.Info("pod Ready", "pod", podKey(pod.Namespace, pod.Name), "sinceSeen", time.Since(st.seen).Round(time.Millisecond))
	}
	return nil
}

// statusPatch is a strategic merge patch from the pod's status to status.
func statusPatch(pod *corev1.Pod, status corev1.PodStatus, annotations map[string]string) ([]byte, error) {
	type obj struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
		Status   corev1.PodStatus  `json:"status"`
	}
	oldJSON, err := json.Marshal(obj{Metadata: metav1.ObjectMeta{Annotations: pod.Annotations}, Status: pod.Status})
	if err != nil {
		return nil, err
	}
	merged := map[string]string{}
	for k, v := range pod.Annotations {
		merged[k] = v
	}
	for k, v := range annotations {
		merged[k] = v
	}
	newJSON, err := json.Marshal(obj{Metadata: metav1.ObjectMeta{Annotations: merged}, Status: status})
	if err != nil {
		return nil, err
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldJSON, newJSON, corev1.Pod{})
	if err != nil {
		return nil, fmt.Errorf("failed to build the status patch: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(patch, &m); err != nil {
		return nil, err
	}
	meta, _ := m["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		m["metadata"] = meta
	}
	meta["uid"] = string(pod.UID)
	return json.Marshal(m)
}

// statusEqual compares statuses as the API stores them: fields an API
// server may drop (observedGeneration, when its feature is off) are ignored.
func statusEqual(a, b corev1.PodStatus) bool {
	strip := func(s corev1.PodStatus) corev1.PodStatus {
		s = *s.DeepCopy()
		s.ObservedGeneration = 0
		for i := range s.Conditions {
			s.Conditions[i].ObservedGeneration = 0
		}
		return s
	}
	return apiequality.Semantic.DeepEqual(strip(a), strip(b))
}

func hasAnnotations(pod *corev1.Pod, want map[string]string) bool {
	for k, v := range want {
		if pod.Annotations[k] != v {
			return false
		}
	}
	return true
}

func (a *Agent) imageID() string {
	if a.mach.nginxVer == "" {
		return "lblab-netns://" + nginxPath
	}
	return "lblab-netns://" + nginxPath + "@nginx-" + a.mach.nginxVer
}

func podReady(s corev1.PodStatus) bool {
	for _, c := range s.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
