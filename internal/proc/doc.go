// Package proc starts and stops the lab's long-running processes: etcd,
// the Kubernetes components, kube-proxy, node agents, speakers. Each runs
// detached in its own session inside a named network namespace (entered
// with nsenter, so it shares the host's mount namespace and the pod
// namespaces it creates stay visible), logs to a file, and is tracked by a
// pid file. Stopping never trusts a stale pid: it checks the process's
// command line first.
package proc
