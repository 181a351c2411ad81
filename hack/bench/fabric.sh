#!/usr/bin/env bash
# Measures `lblab up --fabric-only` (namespaces, bridge, FRR TOR, client) and
# `lblab down` for a topology, N times, and prints min/median/max.
#   hack/bench/fabric.sh [topology] [runs]
set -euo pipefail
topo=${1:-bgp-ecmp}
runs=${2:-10}
bin=${LBLAB:-bin/lblab}
name=bench-fabric
[ -x "$bin" ] || go build -o "$bin" ./cmd/lblab
"$bin" down --name "$name" -q

ms() { date +%s%N; }
ups=() downs=()
for _ in $(seq "$runs"); do
  t0=$(ms); "$bin" up --fabric-only -q -t "$topo" --name "$name" >/dev/null
  t1=$(ms); "$bin" down -q --name "$name"
  t2=$(ms)
  ups+=($(( (t1 - t0) / 1000000 ))) downs+=($(( (t2 - t1) / 1000000 )))
done

stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "min %d ms  median %d ms  max %d ms", a[1], a[int((NR+1)/2)], a[NR]}'; }
echo "topology $topo, $runs runs, $(nproc) cores, $(uname -r)"
echo "up --fabric-only: $(stats "${ups[@]}")"
echo "down:             $(stats "${downs[@]}")"
