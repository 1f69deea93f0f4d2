#!/usr/bin/env bash
# The control plane's lifecycle promises, checked at the end of npm test:
# a crashed component is reported by `cluster status` (exit 1, named), and `down` leaves no process behind.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${FD_CLUSTER_DIR:-$PWD/.cluster}
tsx() { node node_modules/tsx/dist/cli.mjs "$@"; }
kill -9 "$(cat "$dir/pids/kwok.pid")"
sleep 1
if out=$(tsx test/cluster/cluster.ts status); then echo "status did not fail after kwok was killed:"; echo "$out"; exit 1; fi
echo "$out" | grep -q "^kwok .*NOT RUNNING" || { echo "status did not name kwok:"; echo "$out"; exit 1; }
echo "crashed component reported: $(echo "$out" | grep NOT)"
tsx test/cluster/cluster.ts down
left=$(pgrep -af -- "$dir" | grep -v pgrep || true)
if [ -n "$left" ]; then echo "processes left behind after down:"; echo "$left"; exit 1; fi
echo "down left no process behind"
