/**
 * The local node agent of the test cluster (started by `npm run cluster:up`), one part per job:
 * node-agent/kubelet.ts (runs pods, serves their logs), node-agent/nim-operator.ts (re-renders the
 * evaluator from its CR), node-agent/gateway.ts (a real nginx per namespace's gateway) and
 * node-agent/backends.ts (the Entity Store stand-in behind its Service), and each check folder's
 * emulation.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LOCAL_NODE, REPO_ROOT } from '../paths';
import { reconcileBackends, stopBackends } from './backends';
import { log, sleep } from './common';
import { gateways, reconcileGateways } from './gateway';
import { heartbeat, registerNode, startLogServer, syncPods, tracked, updateNodeStatus } from './kubelet';
import { reconcileEvaluators } from './nim-operator';

function loop(name: string, ms: number, fn: () => Promise<void>) {
  const tick = async () => {
    try {
      await fn();
    } catch (e) {
      log(`${name}: ${(e as Error).message}`);
    }
    setTimeout(tick, ms);
  };
  void tick();
}

async function main() {
  for (let i = 0; ; i++) {
    try {
      await registerNode();
      break;
    } catch (e) {
      if (i > 40) throw e;
      await sleep(500);
    }
  }
  startLogServer();
  loop('heartbeat', 10_000, async () => {
    await heartbeat();
    await updateNodeStatus();
  });
  loop('pods', 300, syncPods);
  loop('operator', 500, reconcileEvaluators);
  loop('gateway', 500, reconcileGateways);
  loop('backends', 500, reconcileBackends);
  // What a check folder needs emulated (checks/<id>/emulation.ts: a controller of the platform the
  // check's fixtures stand in for), run like the parts above.
  const checks = path.join(REPO_ROOT, 'checks');
  for (const id of fs.readdirSync(checks).sort()) {
    const file = path.join(checks, id, 'emulation.ts');
    if (!fs.existsSync(file)) continue;
    const part = (await import(file)) as { reconcile(): Promise<void> };
    loop(`emulation ${id}`, 500, () => part.reconcile());
  }
  const stop = () => {
    for (const t of tracked.values()) t.proc?.kill('SIGKILL');
    for (const g of gateways.values()) g.proc?.kill('SIGQUIT');
    stopBackends();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  log(`node agent for ${LOCAL_NODE} started`);
}

if (require.main === module) void main();
