#!/usr/bin/env bash
# Measures a lab whose workers run on user-mode Linux (issue 12's targets):
# `up` with the components cached, each guest's memory on the machine, the
# exec round trip into a guest, and `verify` (all checks but node-failover,
# then node-failover alone).
#
#   sudo hack/bench/uml.sh [topology] [dataplane]     # default: bgp-ecmp ipvs
#
# A guest's memory on the machine is its kernel process's RSS (every page
# of guest RAM it has touched, plus the kernel binary) and the anonymous
# memory of its other host processes (one per guest address space). The
# lab is deleted at the end unless KEEP=1.
set -euo pipefail
topo=${1:-bgp-ecmp}
dp=${2:-ipvs}
bin=${LBLAB:-bin/lblab}
name=${LAB:-uml-bench}
[ -x "$bin" ] || go build -o "$bin" ./cmd/lblab
"$bin" down -q --name "$name" || true
[ "${KEEP:-0}" = 1 ] || trap '"$bin" down -q --name "$name"' EXIT

echo "lblab up -t $topo --dataplane $dp --node-kernel uml ($(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg))"
t0=$(date +%s%N)
"$bin" up -t "$topo" --name "$name" --dataplane "$dp" --node-kernel uml 2>/dev/null | sed -n '/^Where the time went:/,/^$/p'
t1=$(date +%s%N)
echo "  up returned after $(( (t1 - t0) / 1000000 )) ms"

sleep "${SETTLE:-10}"
echo
printf '%-8s %14s %18s %10s\n' GUEST "kernel RSS MiB" "host procs anon MiB" "total MiB"
for node in $("$bin" kubectl --name "$name" -- get nodes -o name | sed 's#node/##'); do
	main=$(cat "/run/lblab/$name/uml/$node/pid" 2>/dev/null || true)
	[ -n "$main" ] || continue
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$main/status")
	anon=0
	for p in $(pgrep -f "umid=$node uml_dir=/run/lblab/$name/uml"); do
		[ "$p" = "$main" ] && continue
		# Helper tasks share the kernel's address space: count each mm once.
		if [ "$(readlink "/proc/$p/exe")" = "$(readlink "/proc/$main/exe")" ] &&
			[ "$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")" = "$rss" ]; then continue; fi
		a=$(awk '/^RssAnon:/ {print $2}' "/proc/$p/status")
		anon=$((anon + a))
	done
	printf '%-8s %14.1f %18.1f %10.1f\n' "$node" "$(echo "$rss/1024" | bc -l)" "$(echo "$anon/1024" | bc -l)" "$(echo "($rss+$anon)/1024" | bc -l)"
done

echo
go run ./hack/bench/umlexec -lab "$name"
echo
LAB=$name LBLAB=$bin hack/bench/verify.sh "$topo" "$dp"
