#!/usr/bin/env bash
# Measures the external-lb topology (HAProxy on an lb host, forwarding to
# NodePorts), the figures of the README:
#  - `up` with components cached, and `verify` (its six checks);
#  - health checks, N times: node1's NodePort dropped on node1 (iptables
#    raw DROP): the time until HAProxy marks node1 DOWN, and the client's
#    requests (one every 100 ms, 1 s timeout) that failed meanwhile; then
#    the rule removed: the time until node1 is UP again;
#  - the memory of the lb host's processes (lb-controller and HAProxy).
# It brings up the lab (bench-elb; LBLAB_BENCH_LAB to change), prints
# figures, asserts nothing, and downs the lab.
#
#   hack/bench/external-lb.sh [tries]
#
# Needs root, like every netns lab.
set -euo pipefail
tries=${1:-5}
name=${LBLAB_BENCH_LAB:-bench-elb}
cd "$(dirname "$0")/../.."
bin=${LBLAB:-bin/lblab}
[ -x "$bin" ] || go build -o "$bin" ./cmd/lblab

"$bin" down -q --name "$name" || true
trap '"$bin" down -q --name "$name" || true' EXIT
echo "lab $name (external-lb), $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
s=$(date +%s.%N); "$bin" up -q -t external-lb --name "$name"; e=$(date +%s.%N)
echo "up: $(python3 -c "print(f'{$e-$s:.1f}')") s"
s=$(date +%s.%N); "$bin" verify -q --name "$name" >/dev/null; e=$(date +%s.%N)
echo "verify (six checks): $(python3 -c "print(f'{$e-$s:.1f}')") s"
python3 - "$bin" "$name" "$tries" <<'PY'
import json, subprocess, sys, time
bin, name, tries = sys.argv[1], sys.argv[2], int(sys.argv[3])
def lb():
    return json.loads(subprocess.run([bin, "inspect", "lb", "--name", name, "-o", "json"], check=True, capture_output=True, text=True).stdout)
def node1(view, v4):
    for f in view:
        if (not f["target"].startswith("[")) == v4:
            for s in f["servers"]:
                if s["server"] == "node1":
                    return f["target"], s
def until(pred, limit=20):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if pred(): return time.monotonic() - start
        time.sleep(0.05)
    return None
target, srv = node1(lb(), True)
ip, port = target.split(":")[0], srv["addr"].rsplit(":", 1)[1]
rule = ["PREROUTING", "-p", "tcp", "--dport", port, "-j", "DROP"]
ipt = [bin, "exec", "--name", name, "node1", "--", "iptables", "-t", "raw"]
down, up, failed = [], [], []
for i in range(tries):
    loop = ("i=0; while [ $i -lt 60 ]; do i=$((i+1)); if wget -q -O /dev/null -T 1 -t 1 http://%s/; then echo ok; else echo fail; fi; sleep 0.1; done" % ip)
    client = subprocess.Popen([bin, "exec", "--name", name, "client", "--", "sh", "-c", loop], stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    subprocess.run(ipt + ["-I"] + rule, check=True)
    d = until(lambda: node1(lb(), True)[1]["status"].startswith("DOWN"))
    subprocess.run(ipt + ["-D"] + rule, check=True)
    u = until(lambda: node1(lb(), True)[1]["status"] == "UP")
    out = client.communicate()[0].split()
    down.append(d); up.append(u); failed.append(out.count("fail"))
    print(f"try {i+1}: node1 DOWN after {d:.2f} s, UP again {u:.2f} s after the rule went; client requests failed: {out.count('fail')} of {len(out)}")
def p50(xs):
    xs = sorted(x for x in xs if x is not None)
    return xs[len(xs) // 2] if xs else float("nan")
print(f"health checks over {tries}: DOWN p50 {p50(down):.2f} s (max {max(x or 0 for x in down):.2f}), UP p50 {p50(up):.2f} s, failed requests p50 {p50(failed)} (max {max(failed)})")
PY
pids=$(ip netns pids "${name}_lb")
ps -o rss=,comm= -p $(echo $pids | tr ' ' ',') | awk '{kb[$2]+=$1} END {for (c in kb) printf "lb host %s RSS %.1f MiB\n", c, kb[c]/1024}'
