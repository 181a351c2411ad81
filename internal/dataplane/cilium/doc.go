// Package cilium parses Cilium's view of its load-balancing BPF maps,
// `cilium-dbg bpf lb list -o json` (run in the agent pod on each node), into
// frontends with their backends, for `lblab inspect bpf` and the ebpf
// data-plane check on the kind backend.
package cilium
