// Package cilium parses Cilium's view of its load-balancing BPF maps,
// `cilium-dbg bpf lb list -o json` (run beside the agent on each node: in
// its mount namespace on a netns node, in its pod on a kind node), into
// frontends with their backends, for `lblab inspect bpf` and the ebpf
// data-plane check.
package cilium
