#!/usr/bin/env bash
# Measures `lblab graph` in each format and `verify -o html` against
# `verify -o json` (the HTML report's extra cost: drawing the graph), on a
# running lab, N times each, and prints min/median/max. The CLI's own start
# is included, as a user sees it.
#   hack/bench/graph.sh [lab] [runs]
set -euo pipefail
lab=${1:-bgp-ecmp}
runs=${2:-10}
bin=${LBLAB:-bin/lblab}
[ -x "$bin" ] || go build -o "$bin" ./cmd/lblab

ms() { date +%s%N; }
stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "min %d ms  median %d ms  max %d ms", a[1], a[int((NR+1)/2)], a[NR]}'; }
echo "lab $lab, $runs runs, $(nproc) cores, $(uname -r), $(dot -V 2>&1)"
for f in dot mermaid svg png; do
  ts=()
  for _ in $(seq "$runs"); do
    t0=$(ms); "$bin" graph -q --name "$lab" -o "$f" >/dev/null; t1=$(ms)
    ts+=($(( (t1 - t0) / 1000000 )))
  done
  printf 'graph -o %-8s %s\n' "$f:" "$(stats "${ts[@]}")"
done
checks=bgp-sessions,ecmp-fib,dataplane-rules
for f in json html; do
  ts=()
  for _ in $(seq "$runs"); do
    t0=$(ms); "$bin" verify -q --name "$lab" --scenario "$checks" -o "$f" >/dev/null; t1=$(ms)
    ts+=($(( (t1 - t0) / 1000000 )))
  done
  printf 'verify -o %-5s %s (%s)\n' "$f:" "$(stats "${ts[@]}")" "$checks"
done
