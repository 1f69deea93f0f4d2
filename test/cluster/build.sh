#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd, kwok and probecheck (the
# kubelet's probe code on our manifests) from pinned module
# versions into a cache outside the repo, keyed by those versions. Warm runs return at once.
# Prints the bin directory on stdout (last line).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091
source "$here/versions.env"
key=$(cat "$here/versions.env" "$here/go.mod" | sha256sum | cut -c1-12)
cache_root=${FD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/flywheel-doctor}
bin="$cache_root/bin/k8s-${KUBE_VERSION}-etcd-${ETCD_VERSION}-kwok-${KWOK_VERSION}-$key"
want=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok probecheck)
missing=()
for b in "${want[@]}"; do [ -x "$bin/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then echo "$bin"; exit 0; fi

command -v go >/dev/null || { echo "Go is required to build the control plane (https://go.dev/dl)" >&2; exit 1; }
mkdir -p "$bin"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
kube_ld="-s -w -X k8s.io/component-base/version.gitVersion=${KUBE_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor} -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"
start=$(date +%s)
cd "$here"
for b in "${missing[@]}"; do
  echo "building $b ..." >&2
  case $b in
    kube-apiserver|kube-controller-manager|kube-scheduler|kubectl)
      go build -trimpath -ldflags "$kube_ld" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b" ;;
    probecheck)
      # The kubelet's prober code on rendered manifests (test/cluster/probecheck).
      go build -trimpath -ldflags "-s -w" -o "$bin/$b.tmp" ./probecheck ;;
    etcd)
      go build -trimpath -ldflags "-s -w" -o "$bin/$b.tmp" go.etcd.io/etcd/server/v3 ;;
    kwok)
      # kwok has no replace directives, so a plain module install works; kept outside this module
      # to avoid mixing its dependency graph with Kubernetes'.
      GOBIN="$bin/kwok-gobin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}"
      mv "$bin/kwok-gobin/kwok" "$bin/kwok.tmp"; rmdir "$bin/kwok-gobin" ;;
  esac
  mv "$bin/$b.tmp" "$bin/$b"
done
# kwok's default stage configs ship in its module; copy them next to the binaries.
kwok_dir=$(go mod download -json "sigs.k8s.io/kwok@${KWOK_VERSION}" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
mkdir -p "$bin/kwok-stages" && cp -r "$kwok_dir/kustomize/stage/." "$bin/kwok-stages/" && chmod -R u+w "$bin/kwok-stages"
echo "built ${missing[*]} in $(( $(date +%s) - start ))s" >&2
echo "$bin"
