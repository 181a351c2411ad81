#!/bin/sh
# Captures kube-proxy-sets.txt: `ipset list` (ipset 7.17) of every set
# kube-proxy v1.37's ipvs proxier creates, both families, with the names,
# types and create options it uses (pkg/proxy/ipvs: ipsetInfo, NewIPSet,
# createSet) and the entries it writes (Entry.String) for a dual-stack lab
# node 10.89.0.11 / fd00:89::b with three LoadBalancer Services on port 80:
#   web     198.51.100.0, 2001:db8:100::   no loadBalancerSourceRanges
#   ranges  198.51.100.2, 2001:db8:100::2  [192.0.2.2/32, 2001:db8:c::2/128]
#   node    198.51.100.3                   [192.0.2.0/24, 10.89.0.0/24] (covers the node: KUBE-LOAD-BALANCER-SOURCE-IP)
# The sets are filled by hand, as kube-proxy would: kube-proxy's ipvs mode
# cannot run on the machines this was captured on (no IP_VS). Run as root.
set -eu
ns=lblab-capture-sets-$$
ip netns add "$ns"
trap 'ip netns exec "$ns" ipset destroy 2>/dev/null; ip netns del "$ns"' EXIT
x() { ip netns exec "$ns" ipset "$@"; }
mk() { # name type family
	case $2 in
	bitmap:port) x create "$1" "$2" range 0-65535 ;;
	*) x create "$1" "$2" family "$3" hashsize 1024 maxelem 65536 ;;
	esac
}
for fam in inet inet6; do
	p=KUBE-
	[ $fam = inet6 ] && p=KUBE-6-
	for s in LOOP-BACK:hash:ip,port,ip CLUSTER-IP:hash:ip,port EXTERNAL-IP:hash:ip,port EXTERNAL-IP-LOCAL:hash:ip,port \
		LOAD-BALANCER:hash:ip,port LOAD-BALANCER-FW:hash:ip,port LOAD-BALANCER-LOCAL:hash:ip,port \
		LOAD-BALANCER-SOURCE-IP:hash:ip,port,ip LOAD-BALANCER-SOURCE-CIDR:hash:ip,port,net \
		NODE-PORT-TCP:bitmap:port NODE-PORT-LOCAL-TCP:bitmap:port NODE-PORT-UDP:bitmap:port NODE-PORT-LOCAL-UDP:bitmap:port \
		NODE-PORT-SCTP-HASH:hash:ip,port NODE-PORT-LOCAL-SCTP-HASH:hash:ip,port HEALTH-CHECK-NODE-PORT:bitmap:port IPVS-IPS:hash:ip; do
		name=$p${s%%:*}
		name=$(printf %.31s "$name") # kube-proxy truncates IPv6 names to 31 characters
		mk "$name" "${s#*:}" $fam
	done
done
x add KUBE-LOOP-BACK 10.244.1.2,tcp:80,10.244.1.2
x add KUBE-CLUSTER-IP 10.96.0.10,tcp:80
x add KUBE-CLUSTER-IP 10.96.0.12,tcp:80
x add KUBE-CLUSTER-IP 10.96.0.13,tcp:80
x add KUBE-NODE-PORT-TCP 30080
x add KUBE-IPVS-IPS 198.51.100.0
x add KUBE-IPVS-IPS 198.51.100.2
x add KUBE-IPVS-IPS 198.51.100.3
for ip in 198.51.100.0 198.51.100.2 198.51.100.3; do x add KUBE-LOAD-BALANCER $ip,tcp:80; done
x add KUBE-LOAD-BALANCER-FW 198.51.100.2,tcp:80
x add KUBE-LOAD-BALANCER-FW 198.51.100.3,tcp:80
x add KUBE-LOAD-BALANCER-SOURCE-CIDR 198.51.100.2,tcp:80,192.0.2.2/32
x add KUBE-LOAD-BALANCER-SOURCE-CIDR 198.51.100.3,tcp:80,192.0.2.0/24
x add KUBE-LOAD-BALANCER-SOURCE-CIDR 198.51.100.3,tcp:80,10.89.0.0/24
x add KUBE-LOAD-BALANCER-SOURCE-IP 198.51.100.3,tcp:80,198.51.100.3
x add KUBE-6-LOOP-BACK fd00:10:244:1::2,tcp:80,fd00:10:244:1::2
x add KUBE-6-CLUSTER-IP fd00:10:96::10,tcp:80
x add KUBE-6-CLUSTER-IP fd00:10:96::12,tcp:80
x add KUBE-6-IPVS-IPS 2001:db8:100::
x add KUBE-6-IPVS-IPS 2001:db8:100::2
for ip in 2001:db8:100:: 2001:db8:100::2; do x add KUBE-6-LOAD-BALANCER $ip,tcp:80; done
x add KUBE-6-LOAD-BALANCER-FW 2001:db8:100::2,tcp:80
x add KUBE-6-LOAD-BALANCER-SOURCE-CID 2001:db8:100::2,tcp:80,2001:db8:c::2/128
x list
