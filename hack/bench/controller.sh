#!/usr/bin/env bash
# Measures the bundled lblab controller against a real kube-apiserver
# (issue 4): Service created → status.loadBalancer address (p50/p99 over N
# Services created one at a time), churns of 1,000 and 5,000 Services
# created and deleted as fast as the API server takes them (8 parallel
# client-go clients), and the controller's RSS.
#
#   hack/bench/controller.sh [services] [churn sizes]
#
# It brings up `lblab up --no-workloads` (controller and speakers running as
# the netns backend runs them) and runs hack/bench/controller. The BGP
# figures (first UPDATE on the wire, route in the TOR's FIB) come from
# LBLAB_BENCH_CONTROLLER=1 hack/bench/speaker.sh, on the same kind of lab.
# Needs root.
set -euo pipefail
services=${1:-100}
churn=${2:-1000,5000}
bin=${LBLAB:-bin/lblab}
name=${LBLAB_BENCH_LAB:-ctrl-bench}
[ -x "$bin" ] || go build -o "$bin" ./cmd/lblab
go build -o /tmp/lblab-controller-bench ./hack/bench/controller

"$bin" down -q --name "$name" || true
trap '"$bin" down -q --name "$name"' EXIT
"$bin" up -q --name "$name" --no-workloads
echo "machine: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
/tmp/lblab-controller-bench -lab "$name" -latency "$services" -churn "$churn"
