#!/usr/bin/env bash
# npm run image: builds the image from the Dockerfile with buildah (no daemon), as
# localhost/flywheel-doctor:<version>. When the production bases (UBI, see Dockerfile) cannot be
# pulled, it first builds a local base from Debian packages (Node.js and npm from Debian, made with
# mmdebstrap; cached outside the repo, keyed by suite and date) and passes it as the build argument.
# Prints the image size and the build time. Storage: buildah's vfs storage (works without overlay).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot

need=()
command -v buildah >/dev/null 2>&1 || need+=(buildah)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "[image] installing ${need[*]} from Debian ..." >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "[image] missing: ${need[*]}. Install them: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi

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
  tag="localhost/fd-debian-node:${suite}-$(date +%G-w%V)"
  mkdir -p "$cache"
  tarball="$cache/base-${suite}-$(date +%G-w%V).tar"
  if ! buildah inspect --type image "$tag" >/dev/null 2>&1; then
    if [ ! -s "$tarball" ]; then
      echo "[image] production bases cannot be pulled; building a base from Debian $suite ($mirror) ..." >&2
      mmdebstrap --quiet --variant=minbase --include=nodejs,npm,ca-certificates "$suite" "$tarball.partial" "$mirror"
      mv "$tarball.partial" "$tarball"
      find "$cache" -name 'base-*.tar' ! -name "$(basename "$tarball")" -delete
    fi
    ctr=$(buildah from scratch)
    buildah add --quiet "$ctr" "$tarball" / >/dev/null
    buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
    buildah commit --quiet "$ctr" "$tag" >/dev/null
    buildah rm "$ctr" >/dev/null
  fi
  echo "[image] local base $tag (Debian $suite: node $(tar -xOf "$tarball" ./usr/share/doc/nodejs/changelog.Debian.gz 2>/dev/null | gzip -dc 2>/dev/null | head -1 | sed 's/.*(\([^)]*\)).*/\1/' || echo '?'))" >&2
  args+=(--build-arg "BUILD_IMAGE=$tag" --build-arg "RUNTIME_IMAGE=$tag")
fi

buildah bud --quiet --layers --isolation chroot \
  --build-arg "VERSION=$version" --build-arg "REVISION=$revision" "${args[@]}" \
  -t "$image" . >/dev/null
size=$(buildah images --format '{{.Size}}' "$image" | head -1)
echo "[image] built $image: size $size, in $(($(date +%s) - started)) s" >&2
echo "$image"
