#!/usr/bin/env bash
# The README's "run it" command (npm run demo): builds what it needs, starts the local control plane,
# seeds the broken Data Flywheel namespace and serves the dashboard on http://127.0.0.1:${PORT:-3000}.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
export NEXT_TELEMETRY_DISABLED=1
echo "[demo] building the dashboard ..." >&2
npm run build >/dev/null
node node_modules/tsx/dist/cli.mjs test/cluster/cluster.ts up >/dev/null
node node_modules/tsx/dist/cli.mjs test/cluster/cluster.ts seed broken --namespace flywheel
# shellcheck disable=SC1091
source .cluster/env
port=${PORT:-3000}
cat <<EOT

Flywheel Doctor is running: http://127.0.0.1:${port}
  namespace "flywheel" is seeded with the troubleshooting guide's failures.
  CLI on the same engine:  source .cluster/env && npx flywheel-doctor run
  read-only view:          the UI acts as a forwarded user when a request carries X-Forwarded-Access-Token
  stop:                    Ctrl-C here, then npm run cluster:down
EOT
exec env HOSTNAME=127.0.0.1 PORT="$port" FD_NAMESPACE=flywheel node .next/standalone/server.js
