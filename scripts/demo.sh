#!/usr/bin/env bash
# The README's "run it" command (npm run demo): builds what it needs, starts the local control plane,
# seeds a Data Flywheel namespace and serves the dashboard on http://127.0.0.1:${PORT:-3000}.
# The scenario: `npm run demo -- --scenario broken-proxy` or FD_SCENARIO=broken-proxy (default broken).
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${FD_SCENARIO:-broken}
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) scenario=${2:?--scenario needs a name}; shift 2 ;;
    --scenario=*) scenario=${1#--scenario=}; shift ;;
    *) echo "[demo] unknown argument $1 (use --scenario broken|healthy|broken-proxy|healthy-proxy)" >&2; exit 2 ;;
  esac
done
bash scripts/ensure-deps.sh
export NEXT_TELEMETRY_DISABLED=1
echo "[demo] building the dashboard (the first build takes a few minutes) ..." >&2
build_start=$(date +%s)
npm run build >/dev/null
echo "[demo] dashboard built in $(( $(date +%s) - build_start )) s" >&2
node node_modules/tsx/dist/cli.mjs test/cluster/cluster.ts up >/dev/null
node node_modules/tsx/dist/cli.mjs test/cluster/cluster.ts seed "$scenario" --namespace flywheel
# The same state directory the cluster scripts use (FD_CLUSTER_DIR, else .cluster).
# shellcheck disable=SC1091
source "${FD_CLUSTER_DIR:-.cluster}/env"
port=${PORT:-3000}
cat <<EOT

Flywheel Doctor is running: http://127.0.0.1:${port}
  namespace "flywheel" is seeded with scenario "${scenario}".
  CLI on the same engine:  source ${FD_CLUSTER_DIR:-.cluster}/env && npx flywheel-doctor run
  read-only view:          the UI acts as a forwarded user when a request carries X-Forwarded-Access-Token
  stop:                    Ctrl-C here, then npm run cluster:down
EOT
# The watch is on (as in-cluster): a change made with kubectl shows on the dashboard without a click.
exec env HOSTNAME=127.0.0.1 PORT="$port" FD_NAMESPACE=flywheel FD_WATCH="${FD_WATCH:-default}" node --optimize-for-size .next/standalone/server.js
