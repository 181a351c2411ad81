#!/usr/bin/env bash
# Installs what lblab needs on Debian: FRR, nginx, HAProxy (the external-lb
# topology's load balancer), iproute2, iptables,
# nftables, ipvsadm, user-mode Linux (the kernel of uml nodes, for IPVS on
# machines whose kernel has none), clang 19 (Cilium compiles its datapath
# with it on ebpf nodes), bpftool (the ebpf tests count the kernel's BPF
# objects), the CNI reference plugins (the node agent's CNI test), Graphviz (lblab graph), Chromium (the
# tests open verify's HTML report in it), and the gobgp v4 CLI (Debian's
# gobgp is v3 and cannot talk to the speakers' GoBGP v4 API). Idempotent and
# quick when all is present.
set -euo pipefail

packages=(frr nginx-light iptables nftables iproute2 iputils-ping util-linux procps
  tcpdump ipset ipvsadm conntrack wget curl ca-certificates user-mode-linux gcc libc6-dev
  graphviz fonts-liberation2 chromium haproxy clang-19 bpftool containernetworking-plugins)
gobgp_version=v4.8.0

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The lab runs its own FRR, nginx and HAProxy instances; the distribution's
  # services are not needed (and nginx's would hold port 80 on the host).
  for svc in frr nginx haproxy; do
    if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
      systemctl disable --now "$svc" >/dev/null 2>&1 || true
    elif [ -x "/etc/init.d/$svc" ]; then
      "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    fi
  done
fi

if ! command -v go >/dev/null; then
  echo "lblab needs Go (1.26 or newer) to build itself and the Kubernetes components" >&2
  exit 1
fi
if ! gobgp --version 2>/dev/null | grep -q "${gobgp_version#v}"; then
  echo "installing gobgp ${gobgp_version} CLI into /usr/local/bin"
  GOBIN=/usr/local/bin go install "github.com/osrg/gobgp/v4/cmd/gobgp@${gobgp_version}"
fi
