#!/usr/bin/env bash
# Installs MetalLB by hand into a netns lab brought up with
# `lblab up --controller none`, in native BGP mode (no FRR in the nodes, no
# memberlist), so that `lblab verify` and hack/bench/speaker.sh can check it
# the same way as the bundled controller.
#
#   hack/metallb/install.sh LAB
#
# MetalLB is built from the Go module proxy at a pinned version
# (METALLB_VERSION, default v0.15.2; v0.16.2 does not build here) into
# ~/.cache/lblab/metallb/VERSION/bin; its CRDs and RBAC are read from the
# module cache. Nothing of MetalLB is copied into this repository. The
# controller runs in <lab>_control-plane and a speaker in every node's
# namespace, logging to ~/.local/state/lblab/LAB/logs/*metallb*; `lblab
# down` ends them with the lab. Needs root.
set -euo pipefail
lab=${1:?usage: hack/metallb/install.sh LAB}
version=${METALLB_VERSION:-v0.15.2}
bin=${LBLAB:-bin/lblab}
cache=${LBLAB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lblab}/metallb/$version
cd "$(dirname "$0")/../.."
[ -x "$bin" ] || go build -o "$bin" ./cmd/lblab

if [ ! -x "$cache/bin/controller" ] || [ ! -x "$cache/bin/speaker" ]; then
  echo "building MetalLB $version (controller, speaker) into $cache/bin (a few minutes the first time)"
  mkdir -p "$cache/bin"
  # Outside this module, so MetalLB's own go.mod decides its dependencies.
  (cd "$cache" && GOFLAGS=-buildvcs=false GOBIN="$cache/bin" \
    go install -ldflags "-s -w" \
      "go.universe.tf/metallb/controller@$version" "go.universe.tf/metallb/speaker@$version")
fi
module=$(cd "$cache" && go mod download -json "go.universe.tf/metallb@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$module/config/crd/bases" ] || { echo "ERROR: MetalLB $version's module has no config/crd/bases (got '$module')" >&2; exit 1; }

go build -o "$cache/metallb-install" ./hack/metallb
"$cache/metallb-install" -lab "$lab" -bin "$cache/bin" -module "$module" -version "$version" -lblab "$bin"
