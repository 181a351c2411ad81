package nodeagent

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// podState is what the agent knows about a pod it runs, saved as
// state.json in the pod's directory so a restarted agent can adopt it.
type podState struct {
	UID       types.UID    `json:"uid"`
	Namespace string       `json:"namespace"`
	Name      string       `json:"name"`
	Netns     string       `json:"netns"`
	HostVeth  string       `json:"hostVeth"`
	IPs       []netip.Addr `json:"ips,omitempty"`
	Gateways  []netip.Addr `json:"gateways,omitempty"`
	StartTime time.Time    `json:"startTime"`
	Grace     int64        `json:"terminationGracePeriodSeconds"`

	Containers map[string]*containerState `json:"containers"`

	// In memory only.
	dir          string
	networkReady bool
	killing      bool
	killDeadline time.Time
	netErr       string    // why the network could not be set up
	warned       bool      // the unsupported-image event was sent
	seen         time.Time // when this agent first synced the pod
	readyLogged  bool
}

// containerState is one container's process and history.
type containerState struct {
	ID           string        `json:"id,omitempty"` // of the current or last run
	PID          int           `json:"pid,omitempty"`
	Match        string        `json:"match,omitempty"`
	StartedAt    time.Time     `json:"startedAt,omitzero"`
	RestartCount int32         `json:"restartCount"`
	Last         *terminated   `json:"last,omitempty"`    // the previous run's end
	Done         *terminated   `json:"done,omitempty"`    // the end of the current run: not restarting
	Backoff      time.Duration `json:"backoff,omitempty"` // the next crash-loop delay
	BackoffUntil time.Time     `json:"backoffUntil,omitzero"`
	StartErr     string        `json:"startError,omitempty"` // why the last start failed
}

// terminated is how a run ended.
type terminated struct {
	ID         string    `json:"id"`
	ExitCode   int32     `json:"exitCode"`
	Signal     int32     `json:"signal,omitempty"`
	Reason     string    `json:"reason"`
	Message    string    `json:"message,omitempty"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
}

func (t *terminated) apply() *corev1.ContainerStateTerminated {
	return &corev1.ContainerStateTerminated{
		ExitCode: t.ExitCode, Signal: t.Signal, Reason: t.Reason, Message: t.Message,
		StartedAt: mtime(t.StartedAt), FinishedAt: mtime(t.FinishedAt), ContainerID: containerID(t.ID),
	}
}

// podDirName is a pod's directory under <run-dir>/pods.
func podDirName(namespace, name string) string { return namespace + "_" + name }

func (s *podState) save() error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("failed to create %s: %w", s.dir, err)
	}
	tmp := filepath.Join(s.dir, ".state.json.tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("failed to save pod state: %w", err)
	}
	return os.Rename(tmp, filepath.Join(s.dir, "state.json"))
}

func loadPodState(dir string) (*podState, error) {
	data, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		return nil, err
	}
	s := &podState{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", filepath.Join(dir, "state.json"), err)
	}
	if s.Containers == nil {
		s.Containers = map[string]*containerState{}
	}
	s.dir = dir
	return s, nil
}

// running reports whether any container has a process.
func (s *podState) running() bool {
	for _, c := range s.Containers {
		if c.PID != 0 {
			return true
		}
	}
	return false
}

func (s *podState) network() PodNetwork {
	return PodNetwork{Netns: s.Netns, HostVeth: s.HostVeth, IPs: s.IPs, Gateways: s.Gateways,
		PodUID: s.UID, PodNamespace: s.Namespace, PodName: s.Name}
}
