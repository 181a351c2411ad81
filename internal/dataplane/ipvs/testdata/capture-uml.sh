#!/bin/sh
# Captures what kube-proxy v1.37.2's ipvs mode really programs, from a
# user-mode Linux node of a dual-stack lab (Debian's UML kernel 6.1, ipset
# 7.17, ipvsadm 1.31), with three LoadBalancer Services on port 80:
#   web     198.51.100.0, 2001:db8:100::   no loadBalancerSourceRanges
#   ranges  198.51.100.2, 2001:db8:100::2  [192.0.2.2/32, 2001:db8:c::2/128]
#   node    198.51.100.3                   [192.0.2.0/24, 10.89.0.0/24] (covers the node: KUBE-LOAD-BALANCER-SOURCE-IP)
# and writes, from node1 (10.89.0.11, fd00:89::b), captured back to back:
#   kube-proxy-sets.txt    `ipset list`
#   ipvsadm.txt            `ipvsadm -Ln`
#   probe-ipvs.json        `lblab probe ipvs`, the netlink reader
#   iptables-save.txt, ip6tables-save.txt   the rules that consult the sets
# Run as root from the repository, with lblab built (make build).
set -eu
cd "$(dirname "$0")"
lblab=${LBLAB:-../../../../bin/lblab}
lab=ipvs-capture
topo=$(mktemp --suffix=.yaml)
trap '"$lblab" down -q --name $lab; rm -f "$topo"' EXIT
sed -e 's/^name: .*/name: '$lab'/' -e 's/^  ipFamily: dual/  ipFamily: dual\n  ipv4Subnet: 10.89.0.0\/24\n  ipv6Subnet: fd00:89::\/64/' \
	../../../../topologies/bgp-ecmp-dual.yaml >"$topo"
"$lblab" up -q -t "$topo" --dataplane ipvs --node-kernel uml
k() { "$lblab" kubectl --name $lab -- "$@"; }
svc() { # name ips ranges...
	name=$1 ips=$2 policy=$3
	shift 3
	ranges=""
	for r in "$@"; do ranges="$ranges\"$r\","; done
	k apply -f - <<YAML
apiVersion: v1
kind: Service
metadata:
  name: $name
  annotations: {lblab.dev/load-balancer-ips: "$ips"}
spec:
  type: LoadBalancer
  ipFamilyPolicy: $policy
  selector: {app: web}
  ports: [{port: 80}]
  loadBalancerSourceRanges: [${ranges%,}]
YAML
}
svc ranges "198.51.100.2,2001:db8:100::2" PreferDualStack 192.0.2.2/32 2001:db8:c::2/128
svc node 198.51.100.3 SingleStack 192.0.2.0/24 10.89.0.0/24
# Wait until node1 has programmed both Services' firewall entries.
for i in $(seq 1 120); do
	if "$lblab" exec --name $lab node1 -- ipset list KUBE-LOAD-BALANCER-SOURCE-IP | grep -q 198.51.100.3 &&
		"$lblab" exec --name $lab node1 -- ipset list KUBE-6-LOAD-BALANCER-FW | grep -q 2001:db8:100::2; then
		break
	fi
	sleep 1
done
self=$("$lblab" exec --name $lab node1 -- sh -c 'tr "\0" " " </proc/$(pgrep -f "speaker --node" | head -1)/cmdline | cut -d" " -f1')
"$lblab" exec --name $lab node1 -- ipset list >kube-proxy-sets.txt
"$lblab" exec --name $lab node1 -- ipvsadm -Ln >ipvsadm.txt
"$lblab" exec --name $lab node1 -- "$self" probe ipvs >probe-ipvs.json
"$lblab" exec --name $lab node1 -- iptables-save >iptables-save.txt
"$lblab" exec --name $lab node1 -- ip6tables-save >ip6tables-save.txt
echo "captured from $lab node1"
