package lab

import (
	"context"
	"time"
)

// Process is one supervised long-running process of a lab: a Kubernetes
// component, a node agent, kube-proxy, the controller, a speaker, a
// guest's kernel. A supervisor restarts it when it exits, as the kubelet
// restarts a pod's containers.
type Process struct {
	Host     string    `json:"host"`
	Name     string    `json:"name"`
	State    string    `json:"state"` // running, waiting (to restart), stopped
	PID      int       `json:"pid,omitempty"`
	Since    time.Time `json:"since"`
	Restarts int       `json:"restarts"`
	// LastExit says how its last run ended, when it has ended.
	LastExit string `json:"lastExit,omitempty"`
}

// ProcessBackend is implemented by backends that supervise a lab's
// processes themselves (the netns backend; on kind the kubelet does).
type ProcessBackend interface {
	Processes(ctx context.Context, labName string) ([]Process, error)
}
