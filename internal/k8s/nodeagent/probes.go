package nodeagent

import (
	"context"

	corev1 "k8s.io/api/core/v1"
)

// probeEntry is one running readiness worker and its latest verdict.
type probeEntry struct {
	cancel context.CancelFunc
	ready  bool
}

// ensureProbe starts the readiness worker of a running container.
func (a *Agent) ensureProbe(key string, pod *corev1.Pod, st *podState, c *corev1.Container, cs *containerState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.probes[cs.ID]; ok {
		return
	}
	spec, err := readinessSpec(c, st.IPs)
	if err != nil {
		a.log.Error("bad readiness probe; checking TCP on the container ports instead", "pod", key, "container", c.Name, "err", err)
		spec, _ = readinessSpec(&corev1.Container{Name: c.Name, Ports: c.Ports}, st.IPs)
	}
	// An adopted container that was ready stays ready until a probe fails.
	initial := false
	for _, s := range pod.Status.ContainerStatuses {
		if s.Name == c.Name && s.ContainerID == containerID(cs.ID) {
			initial = s.Ready
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &probeEntry{cancel: cancel, ready: initial}
	a.probes[cs.ID] = e
	w := &probeWorker{spec: spec, fast: a.cfg.ProbeFastInterval, ready: initial, report: func(ready bool) {
		a.mu.Lock()
		e.ready = ready
		a.mu.Unlock()
		a.log.Info("readiness changed", "pod", key, "container", c.Name, "ready", ready)
		a.queue.Add(key)
	}}
	go w.run(ctx, a.prober)
}

func (a *Agent) stopProbe(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e, ok := a.probes[id]; ok {
		e.cancel()
		delete(a.probes, id)
	}
}

func (a *Agent) stopAllProbes() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, e := range a.probes {
		e.cancel()
		delete(a.probes, id)
	}
}

func (a *Agent) isReady(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.probes[id]
	return ok && e.ready
}
