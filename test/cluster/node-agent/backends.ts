/**
 * Backends the gateway proxies to: for each Deployment whose pod template is annotated
 * `sim.flywheel-doctor.dev/backend: entity-store` and has a ready pod, runs the Entity Store stand-in
 * (test/cluster/entity-store.ts) as a process on loopback, stopped when the pods go away (scaled
 * to 0, deleted). Records live in .cluster/sim/entity-store/<namespace>.json, so a restart keeps them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { KObject } from '../../../lib/k8s/object';
import { RESOURCES } from '../../../lib/k8s/resources';
import { entityStoreDataFile, entityStorePortFor, FILES, REPO_ROOT } from '../paths';
import { client, gatewayPort, log } from './common';
import type { LocalUpstream } from './gateway';

export const BACKEND_ANNOTATION = 'sim.flywheel-doctor.dev/backend';
const pidFile = (ns: string) => path.join(FILES.sim, `entity-store-${ns}.pid`);

/** Per namespace: the stand-in process and the Deployment (uid) it serves; a new Deployment gets a fresh process. */
export const backends = new Map<string, { proc: ChildProcess; port: number; uid: string }>();

const isReady = (p: KObject) =>
  !p.metadata?.deletionTimestamp &&
  (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');

const selectorOf = (d: KObject) =>
  Object.entries((d.spec?.selector?.matchLabels ?? {}) as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

async function backendDeployments(ns?: string): Promise<KObject[]> {
  const list = await client.request<{ items: KObject[] }>(
    'GET',
    ns ? `/apis/apps/v1/namespaces/${ns}/deployments` : '/apis/apps/v1/deployments',
  );
  return list.items.filter((d) => d.spec?.template?.metadata?.annotations?.[BACKEND_ANNOTATION] === 'entity-store');
}

function stop(ns: string) {
  const b = backends.get(ns);
  if (!b) return;
  b.proc.kill('SIGTERM');
  backends.delete(ns);
  fs.rmSync(pidFile(ns), { force: true });
  log(`entity store ${ns}: stopped`);
}

export async function reconcileBackends() {
  const live = new Set<string>();
  for (const d of await backendDeployments()) {
    const ns = d.metadata!.namespace!;
    const pods = await client.list<KObject>(RESOURCES.pods, ns, { query: { labelSelector: selectorOf(d) } });
    if (!pods.items.some(isReady)) continue;
    live.add(ns);
    const uid = d.metadata!.uid!;
    if (backends.get(ns)?.uid === uid) continue;
    stop(ns); // a re-seeded namespace: the old process holds the old records in memory
    const port = entityStorePortFor(await gatewayPort(ns));
    const proc = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'),
        path.join(REPO_ROOT, 'test/cluster/entity-store.ts'),
        '--port',
        String(port),
        '--data',
        entityStoreDataFile(ns),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    proc.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    proc.once('exit', (code) => {
      if (backends.get(ns)?.proc === proc) {
        backends.delete(ns);
        fs.rmSync(pidFile(ns), { force: true });
        log(`entity store ${ns}: exited (${code}) ${stderr.trim()}`);
      }
    });
    backends.set(ns, { proc, port, uid });
    fs.writeFileSync(pidFile(ns), String(proc.pid));
    log(`entity store ${ns}: started on 127.0.0.1:${port} for Deployment ${d.metadata!.name}`);
  }
  for (const ns of [...backends.keys()]) if (!live.has(ns)) stop(ns);
}

export function stopBackends() {
  for (const ns of [...backends.keys()]) stop(ns);
}

/**
 * In-cluster upstream addresses (`<svc>.<ns>.svc.cluster.local:<port>`) of the
 * Services in front of a namespace's stand-in, and the loopback address that answers for them.
 */
export async function localUpstreams(ns: string): Promise<LocalUpstream[]> {
  const deps = await backendDeployments(ns);
  if (!deps.length) return [];
  const services = await client.list<KObject>(RESOURCES.services, ns);
  const local = `127.0.0.1:${entityStorePortFor(await gatewayPort(ns))}`;
  const out: LocalUpstream[] = [];
  for (const svc of services.items) {
    const sel = Object.entries((svc.spec?.selector ?? {}) as Record<string, string>);
    if (!sel.length) continue;
    const serves = deps.some((d) => {
      const labels = (d.spec?.template?.metadata?.labels ?? {}) as Record<string, string>;
      return sel.every(([k, v]) => labels[k] === v);
    });
    if (!serves) continue;
    const name = svc.metadata!.name!;
    for (const p of (svc.spec?.ports ?? []) as Array<{ port: number }>)
      // nginx's resolver uses no search domains: only the full name resolves in the real gateway.
      out.push({ host: `${name}.${ns}.svc.cluster.local`, port: p.port, local });
  }
  return out;
}
