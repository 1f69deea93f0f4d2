#!/usr/bin/env bash
# The README's test command (npm test): everything, on a fresh machine too. Unit tests on fixtures,
# then the real control plane for integration tests and Playwright on the production build.
# The test cluster has its own state dir and ports, so a running demo cluster is left alone,
# and it is stopped on exit, also when tests fail.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --with-browser
export FD_CLUSTER_DIR="$PWD/.cluster-test"
export FD_ETCD_PORT=33790 FD_ETCD_PEER_PORT=33800 FD_APISERVER_PORT=26443 FD_KWOK_PORT=30250 FD_LOCAL_KUBELET_PORT=30251 FD_GATEWAY_PORT=28080
export NEXT_TELEMETRY_DISABLED=1
stop_cluster() { node node_modules/tsx/dist/cli.mjs test/cluster/cluster.ts down >/dev/null 2>&1 || true; }
trap stop_cluster EXIT
stop_cluster
step() { printf '\n=== %s\n' "$*"; }
step "formatting (prettier)"; npx prettier --check . --log-level warn
step "lint (eslint)";        npx eslint . --max-warnings=0
step "typecheck";            npx tsc --noEmit
step "unit tests";           npx vitest run --project unit
step "production build";     npm run build
step "bundle budget";        node scripts/bundle-budget.mjs
step "control plane";        node node_modules/tsx/dist/cli.mjs test/cluster/cluster.ts up
step "integration tests";    npx vitest run --project integration
step "e2e tests (Chromium)"; npx playwright test
step "image (buildah)";     bash scripts/image.sh
step "in-cluster image run"; node node_modules/tsx/dist/cli.mjs test/image/run-image.ts
step "cluster lifecycle";    bash test/cluster/lifecycle-check.sh
echo; echo "all tests passed"
