#!/usr/bin/env bash
# Measures the ha-control-plane topologies (three control-plane nodes
# behind an API server VIP), the figures of the README, for each of
# ha-control-plane (BGP hold time 3 s) and ha-control-plane-bfd (BFD
# 300 ms x 3):
#  - `up` with components cached, and `verify` (its nine checks);
#  - cp-failover, N times: for a frozen kube-apiserver and for a
#    control-plane node cut off (its link down), the time until the TOR's
#    VIP route dropped the node (in L2 mode: another node answered for
#    the VIP), the time until the client's requests
#    through the VIP (one every 100 ms per family, 1 s timeout) succeeded
#    again, how many failed, and how long the node took to come back;
#  - the control plane's memory: etcd, kube-apiserver, controller-manager,
#    scheduler and the VIP speaker of the three nodes.
# It brings up each lab (bench-ha; LBLAB_BENCH_LAB to change), prints the
# figures, asserts nothing, and downs the lab.
#
#   hack/bench/ha-control-plane.sh [tries]
#
# Needs root, like every netns lab.
set -euo pipefail
tries=${1:-5}
name=${LBLAB_BENCH_LAB:-bench-ha}
cd "$(dirname "$0")/../.."
bin=${LBLAB:-bin/lblab}
[ -x "$bin" ] || go build -o "$bin" ./cmd/lblab
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(date +%s.%N)"; }

# summary reads verify -o json documents from stdin and prints the
# cp-failover figures per fault.
summary=$(cat <<'PY'
import json, sys
dec, text, runs = json.JSONDecoder(), sys.stdin.read(), {}
i = 0
while i < len(text):
    if text[i].isspace(): i += 1; continue
    doc, i = dec.raw_decode(text, i)
    for r in doc["results"]:
        if r["status"] != "passed":
            print("a try failed:", r["summary"])
            continue
        for run in r["evidence"]["runs"]:
            runs.setdefault(run["fault"], []).append(run)
def p50(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]
for fault, rs in runs.items():
    col = lambda k: [r[k] / 1e9 for r in rs]
    failed = [r["failed"] for r in rs]
    print(f"{fault} over {len(rs)}: route dropped p50 {p50(col('dropped')):.2f} s (max {max(col('dropped')):.2f}); "
          f"requests through the VIP succeeded again p50 {p50(col('recovered')):.2f} s (max {max(col('recovered')):.2f}); "
          f"failed p50 {p50(failed)} of {p50([r['requests'] for r in rs])} (max {max(failed)}); "
          f"back after the restore p50 {p50(col('back')):.2f} s")
    written = [r["written"] / 1e9 for r in rs if r.get("written")]
    if written:
        print(f"  a write through the VIP went through p50 {p50(written):.2f} s after the cut (max {max(written):.2f})")
PY
)

trap '"$bin" down -q --name "$name" || true' EXIT
echo "$(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
for topo in ${LBLAB_BENCH_TOPOS:-ha-control-plane ha-control-plane-bfd ha-control-plane-l2}; do
	"$bin" down -q --name "$name" || true
	echo "== $topo (lab $name)"
	s=$(date +%s.%N); "$bin" up -q -t "$topo" --name "$name"; echo "up: $(since "$s") s"
	s=$(date +%s.%N); "$bin" verify -q --name "$name" >/dev/null; echo "verify (all checks): $(since "$s") s"
	for i in $(seq "$tries"); do
		"$bin" verify -q --name "$name" --scenario cp-failover -o json || true
	done | python3 -c "$summary"
	total=0
	for m in control-plane control-plane2 control-plane3; do
		pids=$(ip netns pids "${name}_$m" | tr '\n' ',' | sed 's/,$//')
		kb=$(ps -o rss=,args= -p "$pids" | awk '/etcd|kube-apiserver|kube-controller-manager|kube-scheduler|cp-speaker/ {s+=$1} END {print s}')
		total=$((total + kb))
		ps -o rss=,comm= -p "$pids" | awk -v m="$m" '/etcd|kube-apiserver|kube-controll|kube-scheduler|lblab/ {kb[$2]+=$1} END {line=m":"; for (c in kb) line=line sprintf(" %s %.0f MiB", c, kb[c]/1024); print line}'
	done
	echo "control plane RSS (3 nodes: etcd, kube-apiserver, controller-manager, scheduler, VIP speaker): $((total / 1024)) MiB"
done
