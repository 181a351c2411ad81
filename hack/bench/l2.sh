#!/usr/bin/env bash
# Measures L2 mode (issue 14's targets) in an `l2` lab:
#  - l2-failover, N times: an LB IP owner's speaker frozen, then its link
#    taken down; the time until the client's requests succeed again through
#    another node (p50 ≤ 2 s after the speaker stops, ≤ 3 s after the link
#    goes down), the TOR's switch to the new owner's MAC, the client's
#    failed requests, and how long the lab takes to settle after the restore;
#  - Service create → ARP answered by its owner, over S Services
#    (hack/bench/l2arp: asked from inside the TOR's namespace every 10 ms).
# It brings up the lab (bench-l2; LBLAB_BENCH_LAB, LBLAB_BENCH_TOPOLOGY to
# change), prints figures, asserts nothing, and downs the lab.
#
#   hack/bench/l2.sh [tries] [services]
#
# Needs root, like every netns lab.
set -euo pipefail
tries=${1:-10}
services=${2:-20}
topo=${LBLAB_BENCH_TOPOLOGY:-l2}
name=${LBLAB_BENCH_LAB:-bench-l2}
cd "$(dirname "$0")/../.."
bin=${LBLAB:-bin/lblab}
[ -x "$bin" ] || go build -o "$bin" ./cmd/lblab
out=$(mktemp -d)
go build -o "$out/l2arp" ./hack/bench/l2arp

"$bin" down -q --name "$name" || true
trap '"$bin" down -q --name "$name" || true; rm -rf "$out"' EXIT
"$bin" up -q -t "$topo" --name "$name"
echo "lab $name ($topo), $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$tries"); do
  "$bin" verify -q --name "$name" --scenario l2-failover -o json >"$out/$i.json" 2>/dev/null || true
done
python3 - "$out" "$tries" <<'EOF'
import json, sys
out, tries = sys.argv[1], int(sys.argv[2])
runs = {"speakerStop": [], "linkDown": []}
passed, failed = 0, []
for i in range(1, tries + 1):
    try:
        res = next(r for r in json.load(open("%s/%d.json" % (out, i)))["results"] if r["name"] == "l2-failover")
    except Exception as e:
        failed.append("try %d: no result (%s)" % (i, e))
        continue
    if res["status"] != "passed":
        failed.append("try %d: %s %s" % (i, res["status"], res["summary"]))
        continue
    passed += 1
    for k in runs:
        r = res["evidence"][k]
        runs[k].append({
            "restored": max(m["restored"] for m in r["ips"]) / 1e9,
            "switched": max(m["switched"] for m in r["ips"]) / 1e9,
            "failed": r["failed"], "requests": r["requests"], "after": r["failedAfterSwitch"],
            "settled": r["settled"] / 1e9,
            "back": all(m.get("ownerAfter") == m["oldOwner"] for m in r["ips"]),
        })

def q(xs, p):
    xs = sorted(xs)
    return xs[int(p * (len(xs) - 1) + 0.5)]

def line(label, xs, unit="s", fmt="%.2f"):
    if not xs:
        return
    f = lambda x: (fmt % x) + (" " + unit if unit else "")
    print("  %-60s p50 %-8s p90 %-8s max %s" % (label, f(q(xs, .5)), f(q(xs, .9)), f(max(xs))))

print("l2-failover, %d tries: %d passed" % (tries, passed))
for f in failed:
    print("  " + f)
for k, what, target in (("speakerStop", "speaker stop", "≤ 2 s"), ("linkDown", "link down", "≤ 3 s")):
    rs = runs[k]
    if not rs:
        continue
    line("%s → requests OK via another node (p50 %s)" % (what, target), [r["restored"] for r in rs])
    line("  %s → the TOR's neighbour entry holds the new MAC" % what, [r["switched"] for r in rs])
    line("  failed client requests (of ~10/s per LB IP)", [r["failed"] for r in rs], "", "%d")
    line("  of them sent after the switch", [r["after"] for r in rs], "", "%d")
    line("  restore → one owner again, the node's Lease renewed", [r["settled"] for r in rs])
    print("  %-60s %d of %d" % ("  IPs back on the old owner after the restore", sum(r["back"] for r in rs), len(rs)))
EOF
"$out/l2arp" -lab "$name" -services "$services"
