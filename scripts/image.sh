#!/usr/bin/env bash
# npm run image: builds the image from the Dockerfile with buildah (no daemon), as
# localhost/flywheel-doctor:<version>. When the production bases (UBI, see Dockerfile) cannot be
# pulled, it first builds a local base from Debian packages (Node.js and npm from Debian, made with
# mmdebstrap; cached outside the repo, keyed by suite and week) and passes it as the build arguments.
# Prints the image size and the build time. Storage: buildah's vfs storage (works without overlay).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot

need=()
command -v buildah >/dev/null 2>&1 || need+=(buildah)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
# shellcheck source=scripts/debian-packages.sh
source scripts/debian-packages.sh
install_debian_packages "${need[@]}"

version=$(node -p "require('./package.json').version")
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
image="localhost/flywheel-doctor:${version}"
build_base=$(sed -n 's/^ARG BUILD_IMAGE=//p' Dockerfile)
runtime_base=$(sed -n 's/^ARG RUNTIME_IMAGE=//p' Dockerfile)
args=()

if [ "${FD_IMAGE_LOCAL_BASE:-}" != 1 ] && timeout 30 buildah pull --quiet "$build_base" >/dev/null 2>&1 \
  && timeout 30 buildah pull --quiet "$runtime_base" >/dev/null 2>&1; then
  echo "[image] production bases: $build_base, $runtime_base" >&2
else
  # The registry is not reachable: a base from Debian packages (Node >= 20.9 needs trixie or later).
  suite=${FD_IMAGE_SUITE:-trixie}
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
  mirror=${mirror:-$(sed -n 's/^deb \([^ ]*\) .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -1)}
  mirror=${mirror:-http://deb.debian.org/debian}
  cache="${FD_CACHE_DIR:-$HOME/.cache/flywheel-doctor}/image"
  mkdir -p "$cache"
  week=$(date +%G-w%V)
  # local_base NAME PACKAGES: a tarball made by mmdebstrap (cached weekly), committed as an image.
  local_base() {
    local name=$1 packages=$2 tag="localhost/fd-debian-$1:${suite}-${week}" tarball="$cache/base-$1-${suite}-${week}.tar"
    if ! buildah inspect --type image "$tag" >/dev/null 2>&1; then
      if [ ! -f "$tarball" ]; then
        echo "[image] building the $name base from Debian $suite ($mirror): $packages ..." >&2
        # The .tar suffix makes mmdebstrap write a tarball (a name without it means a directory).
        mmdebstrap --quiet --variant=minbase --include="$packages" "$suite" "$cache/partial-$name.tar" "$mirror"
        mv "$cache/partial-$name.tar" "$tarball"
        find "$cache" -name "base-$name-*.tar" ! -name "$(basename "$tarball")" -delete
      fi
      local ctr
      ctr=$(buildah from scratch)
      buildah add --quiet "$ctr" "$tarball" / >/dev/null
      buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
      buildah commit --quiet "$ctr" "$tag" >/dev/null
      buildah rm "$ctr" >/dev/null
    fi
    echo "$tag"
  }
  echo "[image] production bases cannot be pulled: bases from Debian $suite packages" >&2
  build_tag=$(local_base build nodejs,npm,ca-certificates)
  # The runtime needs Node.js only: Debian's npm pulls in hundreds of packages the server never uses.
  runtime_tag=$(local_base runtime nodejs,ca-certificates)
  ctr=$(buildah from --pull-never "$runtime_tag")
  echo "[image] local bases $build_tag, $runtime_tag (Node.js $(buildah run "$ctr" -- node --version 2>/dev/null || echo '?'))" >&2
  buildah rm "$ctr" >/dev/null
  args+=(--build-arg "BUILD_IMAGE=$build_tag" --build-arg "RUNTIME_IMAGE=$runtime_tag")
fi

# An intercepting egress proxy's CA (the build machine trusts it through NODE_EXTRA_CA_CERTS): the
# build stage's npm needs it too; mounted read-only for the build, never part of the image.
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  args+=(--volume "$(dirname "$NODE_EXTRA_CA_CERTS"):/run/build-ca:ro" --build-arg "NODE_EXTRA_CA_CERTS=/run/build-ca/$(basename "$NODE_EXTRA_CA_CERTS")")
fi

buildah bud --quiet --layers --isolation chroot \
  --build-arg "VERSION=$version" --build-arg "REVISION=$revision" "${args[@]}" \
  -t "$image" . >/dev/null
size=$(buildah images --format '{{.Size}}' "$image" | head -1)
echo "[image] built $image: size $size, in $(($(date +%s) - started)) s" >&2
echo "$image"
