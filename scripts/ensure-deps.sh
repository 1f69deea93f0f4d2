#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh machine: npm packages, and from Debian
# nginx (the gateway), openssl/curl (cluster PKI and health checks), util-linux (the node agent's
# namespaces) and, with --with-browser, Chromium for the Playwright tests. Go builds the control plane.
set -euo pipefail
cd "$(dirname "$0")/.."
want=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || want+=(nginx-light)
command -v openssl >/dev/null 2>&1 || want+=(openssl)
command -v curl >/dev/null 2>&1 || want+=(curl)
command -v setpriv >/dev/null 2>&1 && command -v unshare >/dev/null 2>&1 || want+=(util-linux)
if [ "${1:-}" = "--with-browser" ]; then
  [ -x "${FD_CHROMIUM:-/usr/bin/chromium}" ] || want+=(chromium)
  # The tests let real programs judge our files: Prometheus (promtool and the server) the alert rules,
  # yamllint the manifests.
  command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || want+=(prometheus)
  command -v yamllint >/dev/null 2>&1 || want+=(yamllint)
  # libxml2's xmllint and GitHub's Markdown renderer judge the reports; a venv holds Python's.
  command -v xmllint >/dev/null 2>&1 || want+=(libxml2-utils)
  command -v cmark-gfm >/dev/null 2>&1 || want+=(cmark-gfm)
  python3 -c 'import ensurepip' >/dev/null 2>&1 || want+=(python3-venv)
fi
# shellcheck source=scripts/debian-packages.sh
source scripts/debian-packages.sh
install_debian_packages "${want[@]}"
# The node agent runs pods in private mount namespaces: it needs root.
if [ "$(id -u)" != 0 ]; then echo "[deps] the local cluster's node agent needs root (mount namespaces, chown); run as root" >&2; exit 1; fi
command -v go >/dev/null 2>&1 || { echo "[deps] Go >= 1.24 is needed to build the local Kubernetes control plane (https://go.dev/dl)" >&2; exit 1; }
if [ "${1:-}" = "--with-browser" ]; then bash scripts/python-venv.sh >/dev/null; fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[deps] npm ci ..." >&2
  npm ci --no-audit --no-fund >/dev/null
fi
