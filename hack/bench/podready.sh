#!/usr/bin/env bash
# Measures the netns node agent: pod bind → Ready latency (one at a time and
# in a burst), create → Ready, and delete → finalized, against a lab's real
# control plane. It brings up a lab without workloads, runs
# hack/bench/podready, and deletes the lab (unless KEEP=1).
#
#   sudo hack/bench/podready.sh [single] [burst]
#
# Needs root, like every netns lab. It prints figures and asserts nothing.
set -euo pipefail
single=${1:-20}
burst=${2:-30}
name=${LBLAB_BENCH_LAB:-podready-bench}
cd "$(dirname "$0")/../.."
bin=${LBLAB:-}
if [ -z "$bin" ]; then
	bin=$(mktemp -d)/lblab
	go build -o "$bin" ./cmd/lblab
fi
tool=$(mktemp -d)/podready
go build -o "$tool" ./hack/bench/podready

cleanup() { [ "${KEEP:-0}" = 1 ] || "$bin" down -q --name "$name" || true; }
trap cleanup EXIT
"$bin" down -q --name "$name" || true
"$bin" up -q --name "$name" --no-workloads
"$tool" -lab "$name" -single "$single" -burst "$burst"
