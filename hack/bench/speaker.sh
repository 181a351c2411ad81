#!/usr/bin/env bash
# Measures the lblab speaker against a real FRR TOR and kube-apiserver
# (issue 4's speed and scale targets): Service status → first BGP UPDATE on
# the wire and → ECMP route in the TOR's FIB (p50/p99 over N Services),
# churn of 1,000 and 5,000 Services, withdrawals, and speaker RSS.
#
#   hack/bench/speaker.sh [services] [churn sizes, "" for none]
#
# It brings up a lab with Kubernetes and no controller (`--controller none
# --no-workloads`), runs `lblab speaker` in every worker namespace the way
# the netns backend does, and lets hack/bench/speaker play the controller
# (it writes each Service's status), so the figures are the speaker's own.
# With LBLAB_BENCH_CONTROLLER=1 it keeps the lab's controller and speakers
# instead and measures from Service create. With
# LBLAB_BENCH_CONTROLLER=metallb it brings up `--controller metallb`
# (MetalLB, native BGP, pinned version) and measures MetalLB the same way,
# from Service create; likewise LBLAB_BENCH_CONTROLLER=kube-vip. `lblab
# bench` measures controllers side by side; this script measures one, on a
# lab brought up with any up flags. LBLAB_BENCH_UP_FLAGS adds up
# flags to the controller's lab ("--node-kernel uml" measures speakers on
# user-mode Linux workers). Needs root and tcpdump.
set -euo pipefail
services=${1:-100}
churn=${2-1000,5000} # "" for none
bin=${LBLAB:-bin/lblab}
name=${LBLAB_BENCH_LAB:-spk-bench}
[ -x "$bin" ] || go build -o "$bin" ./cmd/lblab
go build -o /tmp/lblab-speaker-bench ./hack/bench/speaker

"$bin" down -q --name "$name" || true
trap '"$bin" down -q --name "$name"' EXIT
if [ "${LBLAB_BENCH_CONTROLLER:-}" = 1 ]; then
  # shellcheck disable=SC2086 # LBLAB_BENCH_UP_FLAGS: e.g. "--node-kernel uml"
  "$bin" up -q --name "$name" --no-workloads ${LBLAB_BENCH_UP_FLAGS:-}
  args=(-controller lblab)
elif [ "${LBLAB_BENCH_CONTROLLER:-}" = metallb ]; then
  "$bin" up -q --name "$name" --controller metallb --no-workloads
  # MetalLB's clients keep client-go's default 20 requests/s: thousands of
  # Services take minutes, so wait up to 15 minutes for the FIB.
  args=(-controller metallb -churn-wait 15m)
elif [ "${LBLAB_BENCH_CONTROLLER:-}" = kube-vip ]; then
  "$bin" up -q --name "$name" --controller kube-vip --no-workloads
  args=(-controller kube-vip -churn-wait 15m)
else
  "$bin" up -q --name "$name" --controller none --no-workloads
  "$bin" kubectl --name "$name" -- apply -f fixtures/crds/ >/dev/null
  args=(-controller self -start-speakers -lblab "$bin")
fi
echo "machine: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
/tmp/lblab-speaker-bench -lab "$name" -services "$services" -churn "$churn" "${args[@]}"
