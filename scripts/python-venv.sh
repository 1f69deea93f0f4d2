#!/usr/bin/env bash
# A Python virtual environment with test/python/requirements.txt, cached outside the repo and keyed
# by the requirements and the Python version (warm calls return at once). Prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."
req=test/python/requirements.txt
py=${FD_PYTHON:-python3}
key=$( (cat "$req"; "$py" --version) | sha256sum | cut -c1-12)
venv="${FD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/flywheel-doctor}/venv/$key"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  echo "[deps] Python packages for the tests: $(grep -v '^#' "$req" | tr '\n' ' ')..." >&2
  rm -rf "$venv"
  "$py" -m venv "$venv" >&2 || { echo "[deps] python3 -m venv failed: install python3-venv" >&2; exit 1; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  touch "$venv/.complete"
fi
echo "$venv"
