# Sourced by the scripts that need Debian packages: install_debian_packages PKG... installs the
# missing ones as root, or says which to install and fails.
install_debian_packages() {
  [ $# -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ]; then
    echo "[deps] installing $* from Debian ..." >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "[deps] missing: $*. Install them: sudo apt-get install -y $*" >&2
    exit 1
  fi
}
