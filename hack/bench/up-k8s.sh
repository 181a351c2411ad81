#!/usr/bin/env bash
# Brings up a netns lab with Kubernetes (components already cached) and
# prints: wall-clock time to all nodes Ready and to the workload's nginx pods
# Ready, up's own per-step breakdown ("where the time went"), and the RSS of
# every control-plane component, node agent and kube-proxy (or, with
# --dataplane ebpf, every Cilium agent and the kernel memory of its BPF maps).
#
#   sudo hack/bench/up-k8s.sh [-t TOPOLOGY] [--name LAB] [--settle SECONDS] [-- more up flags]
#   sudo hack/bench/up-k8s.sh -- --dataplane ebpf
#
# The lab is deleted at the end unless KEEP=1. Needs root, like every netns lab.
set -euo pipefail

topology=bgp-ecmp
name=k8s-bench
settle=10
while [ $# -gt 0 ]; do
	case "$1" in
	-t) topology=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--settle) settle=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done

root=$(cd "$(dirname "$0")/../.." && pwd)
lblab=${LBLAB:-}
if [ -z "$lblab" ]; then
	lblab=$(mktemp -d)/lblab
	(cd "$root" && go build -o "$lblab" ./cmd/lblab)
fi
run_dir=${LBLAB_RUN_DIR:-/run/lblab}/$name

cleanup() { [ "${KEEP:-0}" = 1 ] || "$lblab" down --name "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$lblab" down --name "$name" >/dev/null 2>&1 || true

echo "lblab up -t $topology --name $name $* (components cached; machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
out=$(mktemp)
start=$(date +%s.%N)
# Time-stamp up's progress lines (stderr) as they appear.
"$lblab" up -t "$topology" --name "$name" "$@" 2> >(while IFS= read -r line; do
	printf '%6.2fs %s\n' "$(echo "$(date +%s.%N) - $start" | bc)" "$line"
done >"$out.progress") >"$out"
end=$(date +%s.%N)
sleep 0.2 # let the progress reader drain

at() { grep -F "✓ $1" "$out.progress" | head -1 | awk '{print $1}'; }
nodes=$(at "Waiting for")
pods=$(at "Deploying workloads")
printf '\n%-34s %s\n' "all nodes Ready after" "${nodes:-n/a}"
printf '%-34s %s\n' "workload pods Ready after" "${pods:-n/a (--no-workloads?)}"
printf '%-34s %.2fs\n' "lblab up returned after" "$(echo "$end - $start" | bc)"

echo
sed -n '/^Where the time went:/,/^$/p' "$out"

echo "Settling ${settle}s before measuring memory ..."
sleep "$settle"
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
printf '\n%-28s %8s\n' "PROCESS" "RSS MiB"
total=0
for c in etcd kube-apiserver kube-controller-manager kube-scheduler; do
	kb=$(rss "$(cat "$run_dir/pids/$c.pid")")
	total=$((total + kb))
	printf '%-28s %8.1f\n' "$c" "$(echo "$kb / 1024" | bc -l)"
done
printf '%-28s %8.1f\n' "control plane total" "$(echo "$total / 1024" | bc -l)"
for f in "$run_dir"/pids/*-node-agent.pid "$run_dir"/pids/*-kube-proxy.pid "$run_dir"/pids/*-cilium-agent.pid; do
	[ -e "$f" ] || continue
	kb=$(rss "$(cat "$f")")
	printf '%-28s %8.1f\n' "$(basename "$f" .pid)" "$(echo "$kb / 1024" | bc -l)"
done
if compgen -G "$run_dir/pids/*-cilium-agent.pid" >/dev/null && command -v bpftool >/dev/null; then
	# Map memory is the kernel's, not the agents' RSS; every agent's maps
	# are counted (the machine should run no other BPF user meanwhile).
	bpftool map show -j | python3 -c 'import json, sys; m = json.load(sys.stdin); print("%-28s %8.1f (%d maps)" % ("BPF maps (kernel, all agents)", sum(x.get("bytes_memlock", 0) for x in m) / 2**20, len(m)))'
fi
rm -f "$out" "$out.progress"
