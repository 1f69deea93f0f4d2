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
import { heartbeat, registerNode, startLogServer, syncPods, tracked, updateNodeStatus, watchPods } from './kubelet';
import { reconcileEvaluators } from './nim-operator';

/**
 * Runs `fn` now, every `ms` after it last ran, and at once when the returned function is called;
 * never two at a time (a call while it runs runs it again right after).
 */
function loop(name: string, ms: number, fn: () => Promise<void>): () => void {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  const tick = async () => {
    clearTimeout(timer);
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await fn();
    } catch (e) {
      log(`${name}: ${(e as Error).message}`);
    }
    running = false;
    if (again) {
      again = false;
      return void tick();
    }
    timer = setTimeout(tick, ms);
  };
  void tick();
  return () => void tick();
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
  // As the kubelet does, pods bound to this node are seen through a watch, and synced again periodically.
  watchPods(loop('pods', 300, syncPods));
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
