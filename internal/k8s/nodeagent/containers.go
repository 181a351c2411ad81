package nodeagent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
)

// Waiting reasons the agent reports.
const (
	ReasonImageUnsupported  = "ImageUnsupported"
	ReasonPodUnsupported    = "PodUnsupported"
	ReasonContainerCreating = "ContainerCreating"
	ReasonCrashLoopBackOff  = "CrashLoopBackOff"
	ReasonRunContainerError = "RunContainerError"
)

// crashLoopReset: a container that ran this long starts its back-off over.
const crashLoopReset = 10 * time.Minute

// unsupported says why the agent cannot run a pod, or "" when it can.
func unsupported(pod *corev1.Pod) (reason, message string) {
	var bad []string
	for _, c := range pod.Spec.Containers {
		if !isNginxImage(c.Image) {
			bad = append(bad, fmt.Sprintf("%s (image %q)", c.Name, c.Image))
		}
	}
	switch {
	case len(bad) > 0:
		return ReasonImageUnsupported, fmt.Sprintf("the netns backend runs only nginx images (nginx, nginx:<tag>, <registry>/library/nginx…) "+
			"as the machine's nginx; it cannot run container %s. Use the kind backend (lblab up --backend kind) for other images",
			strings.Join(bad, ", "))
	case len(pod.Spec.InitContainers) > 0:
		return ReasonPodUnsupported, "the netns backend does not run init containers; use the kind backend (lblab up --backend kind)"
	case pod.Spec.HostNetwork:
		return ReasonPodUnsupported, "the netns backend does not run hostNetwork pods; use the kind backend (lblab up --backend kind)"
	}
	return "", ""
}

// containerPorts are the TCP ports nginx listens on: the container's, or
// 80 (the nginx image's) when it declares none.
func containerPorts(c *corev1.Container) []int32 {
	var out []int32
	for _, p := range c.Ports {
		if p.Protocol == "" || p.Protocol == corev1.ProtocolTCP {
			out = append(out, p.ContainerPort)
		}
	}
	if len(out) == 0 {
		out = []int32{defaultPort}
	}
	return out
}

// shouldRestart applies the pod's restartPolicy to an exit code.
func shouldRestart(policy corev1.RestartPolicy, exitCode int32) bool {
	switch policy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return exitCode != 0
	}
	return true
}

// syncContainer keeps one container running per the restart policy. It
// returns when to look again, and whether its state changed.
func (a *Agent) syncContainer(ctx context.Context, key string, pod *corev1.Pod, st *podState, c *corev1.Container) (time.Duration, bool) {
	cs := st.Containers[c.Name]
	if cs == nil {
		cs = &containerState{}
		st.Containers[c.Name] = cs
	}
	now := time.Now()
	changed := false
	if cs.PID != 0 {
		ps := a.rt.State(cs.PID, cs.Match)
		if ps.Running {
			a.ensureProbe(key, pod, st, c, cs)
			return 0, false
		}
		a.stopProbe(cs.ID)
		t := exitOf(cs, ps)
		cs.PID = 0
		changed = true
		a.log.Info("container exited", "pod", key, "container", c.Name, "exitCode", t.ExitCode, "reason", t.Reason)
		if !shouldRestart(pod.Spec.RestartPolicy, t.ExitCode) {
			cs.Done = t
			return 0, true
		}
		cs.Last = t
		if t.FinishedAt.Sub(t.StartedAt) >= crashLoopReset {
			cs.Backoff = 0
		}
		cs.BackoffUntil = t.FinishedAt.Add(cs.Backoff)
		cs.Backoff = nextBackoff(cs.Backoff, a.cfg.BackoffBase, a.cfg.BackoffMax)
	}
	if cs.Done != nil {
		return 0, changed
	}
	if wait := cs.BackoffUntil.Sub(now); wait > 0 {
		if changed {
			a.recorder.Eventf(pod, corev1.EventTypeWarning, "BackOff", "Back-off restarting failed container %s in pod %s", c.Name, pod.Name)
		}
		return wait, changed
	}
	if ctx.Err() != nil {
		// The agent is stopping (on SIGTERM, or as `lblab down` kills every
		// process of the lab): start nothing that could outlive the lab.
		return 0, changed
	}
	if err := a.startContainer(key, pod, st, c, cs); err != nil {
		a.log.Error("failed to start container", "pod", key, "container", c.Name, "err", err)
		a.recorder.Eventf(pod, corev1.EventTypeWarning, "Failed", "Error: %v", err)
		cs.StartErr = err.Error()
		cs.BackoffUntil = now.Add(max(cs.Backoff, a.cfg.BackoffBase/10))
		cs.Backoff = nextBackoff(cs.Backoff, a.cfg.BackoffBase, a.cfg.BackoffMax)
		return cs.BackoffUntil.Sub(now), true
	}
	return 0, true
}

func nextBackoff(cur, base, limit time.Duration) time.Duration {
	if cur == 0 {
		return base
	}
	return min(2*cur, limit)
}

// exitOf records how a container's run ended.
func exitOf(cs *containerState, ps ProcState) *terminated {
	t := &terminated{ID: cs.ID, ExitCode: ps.ExitCode, Signal: ps.Signal,
		StartedAt: cs.StartedAt, FinishedAt: ps.FinishedAt, Reason: "Error"}
	if t.FinishedAt.IsZero() {
		t.FinishedAt = time.Now()
	}
	switch {
	case !ps.Known:
		t.Message = "nginx exited while no agent was watching it; its exit status is unknown"
	case ps.ExitCode == 0:
		t.Reason = "Completed"
	case ps.Signal != 0:
		t.Message = "killed by " + unix.SignalName(syscall.Signal(ps.Signal))
	}
	return t
}

// startContainer writes the container's nginx config and starts nginx.
func (a *Agent) startContainer(key string, pod *corev1.Pod, st *podState, c *corev1.Container, cs *containerState) error {
	cfg := nginxConfig{Namespace: pod.Namespace, Pod: pod.Name, Node: a.cfg.Node, Container: c.Name,
		Ports: containerPorts(c), Dir: st.dir, Without: a.mach.nginxNoMod}
	if err := prepareDirs(cfg, a.uid, a.gid); err != nil {
		return err
	}
	conf, err := cfg.render()
	if err != nil {
		return err
	}
	if err := os.WriteFile(cfg.ConfFile(), conf, 0o644); err != nil {
		return fmt.Errorf("failed to write %s: %w", cfg.ConfFile(), err)
	}
	pid, err := a.rt.Start(Proc{Netns: st.Netns, Argv: cfg.argv(), LogFile: cfg.LogFile(),
		Match: cfg.ConfFile(), UID: a.uid, GID: a.gid}, func() { a.queue.Add(key) })
	if err != nil {
		return err
	}
	if cs.ID != "" {
		cs.RestartCount++
	}
	cs.ID, cs.PID, cs.Match, cs.StartedAt, cs.StartErr = newContainerID(), pid, cfg.ConfFile(), time.Now(), ""
	a.log.Info("container started", "pod", key, "container", c.Name, "pid", pid, "ports", cfg.Ports, "restarts", cs.RestartCount)
	a.recorder.Eventf(pod, corev1.EventTypeNormal, "Started", "Started container %s (nginx, pid %d)", c.Name, pid)
	a.ensureProbe(key, pod, st, c, cs)
	return nil
}

// prepareDirs makes the directories and log files nginx writes, owned by
// the user it runs as; everything else in the pod's directory is root's.
func prepareDirs(cfg nginxConfig, uid, gid int) error {
	for _, d := range []string{cfg.Dir, filepath.Join(cfg.Dir, "nginx"), cfg.TempDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("failed to create %s: %w", d, err)
		}
	}
	for _, p := range []string{filepath.Join(cfg.Dir, "nginx"), filepath.Join(cfg.Dir, "nginx", "tmp"), cfg.TempDir()} {
		if err := os.Chown(p, uid, gid); err != nil {
			return fmt.Errorf("failed to hand %s to uid %d: %w", p, uid, err)
		}
	}
	f, err := os.OpenFile(cfg.AccessLog(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("failed to create %s: %w", cfg.AccessLog(), err)
	}
	f.Close()
	return os.Chown(cfg.AccessLog(), uid, gid)
}

func newContainerID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// checkSearchable fails when a user other than root cannot reach dir, as
// nginx (running as www-data) must.
func checkSearchable(dir string) error {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("failed to check --run-dir: %w", err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("--run-dir %s: nginx runs as %s and cannot reach it, because %s has mode %v; use a directory every user may traverse",
				dir, nginxUser, d, fi.Mode().Perm())
		}
		if d == "/" {
			return nil
		}
	}
}
