/**
 * Stand-ins for the platform's services: for each Deployment whose pod template is annotated
 * `sim.flywheel-doctor.dev/backend: <kind>` and has a ready pod, runs that kind's stand-in as a
 * process on loopback, stopped when the pods go away (scaled to 0, deleted):
 * - `entity-store`: the Entity Store (test/cluster/entity-store.ts), the gateway's upstream; records
 *   in .cluster/sim/entity-store/<namespace>.json, so a restart keeps them;
 * - `nim`: a NIM's model list (test/cluster/nim.ts), ids from .cluster/sim/nim/<namespace>.json;
 * - `data-store`, `customizer`, `evaluator`: test/cluster/platform-services.ts;
 * - `flywheel-api`: the flywheel's job API (test/cluster/flywheel-api.ts), jobs of the scenario.
 * The gateway's upstreams for the Services in front of all but the NIM are rewritten to them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { KObject } from '../../../lib/k8s/object';
import { RESOURCES } from '../../../lib/k8s/resources';
import {
  dataStoreFile,
  entityStoreDataFile,
  entityStorePortFor,
  FILES,
  flywheelApiPortFor,
  flywheelJobsFile,
  nimModelsFile,
  nimPortFor,
  platformPortFor,
  REPO_ROOT,
} from '../paths';
import { client, gatewayPort, log } from './common';
import type { LocalUpstream } from './gateway';

export const BACKEND_ANNOTATION = 'sim.flywheel-doctor.dev/backend';

/** Each kind of stand-in: its program, its port (tied to the namespace's gateway port) and arguments. */
const KINDS = {
  'entity-store': {
    script: 'test/cluster/entity-store.ts',
    port: entityStorePortFor,
    args: (ns: string) => ['--data', entityStoreDataFile(ns)],
  },
  nim: { script: 'test/cluster/nim.ts', port: nimPortFor, args: (ns: string) => ['--models', nimModelsFile(ns)] },
  'data-store': {
    script: 'test/cluster/platform-services.ts',
    port: (g: number) => platformPortFor('data-store', g),
    args: (ns: string) => ['--kind', 'data-store', '--data', dataStoreFile(ns)],
  },
  customizer: {
    script: 'test/cluster/platform-services.ts',
    port: (g: number) => platformPortFor('customizer', g),
    args: () => ['--kind', 'customizer'],
  },
  'flywheel-api': {
    script: 'test/cluster/flywheel-api.ts',
    port: flywheelApiPortFor,
    args: (ns: string) => ['--jobs', flywheelJobsFile(ns)],
  },
  evaluator: {
    script: 'test/cluster/platform-services.ts',
    port: (g: number) => platformPortFor('evaluator', g),
    args: () => ['--kind', 'evaluator'],
  },
} as const;
/** The kinds behind the gateway: nginx's upstreams for their Services are rewritten to the stand-ins. */
const PROXIED: Kind[] = ['entity-store', 'data-store', 'customizer', 'evaluator'];
type Kind = keyof typeof KINDS;
const isKind = (k: unknown): k is Kind => typeof k === 'string' && k in KINDS;
const keyOf = (kind: Kind, ns: string) => `${kind}/${ns}`;
const pidFile = (key: string) => path.join(FILES.sim, `${key.replace('/', '-')}.pid`);

/** Per kind and namespace: the stand-in process and the Deployment (uid) it serves; a new Deployment gets a fresh process. */
export const backends = new Map<string, { proc: ChildProcess; port: number; uid: string }>();

const isReady = (p: KObject) =>
  !p.metadata?.deletionTimestamp &&
  (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');

const selectorOf = (d: KObject) =>
  Object.entries((d.spec?.selector?.matchLabels ?? {}) as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

async function backendDeployments(ns?: string, kind?: Kind): Promise<Array<{ d: KObject; kind: Kind }>> {
  const list = await client.request<{ items: KObject[] }>(
    'GET',
    ns ? `/apis/apps/v1/namespaces/${ns}/deployments` : '/apis/apps/v1/deployments',
  );
  return list.items
    .map((d) => ({ d, kind: d.spec?.template?.metadata?.annotations?.[BACKEND_ANNOTATION] as unknown }))
    .filter((x): x is { d: KObject; kind: Kind } => isKind(x.kind) && (!kind || x.kind === kind));
}

function stop(key: string) {
  const b = backends.get(key);
  if (!b) return;
  b.proc.kill('SIGTERM');
  backends.delete(key);
  fs.rmSync(pidFile(key), { force: true });
  log(`${key}: stopped`);
}

export async function reconcileBackends() {
  const live = new Set<string>();
  for (const { d, kind } of await backendDeployments()) {
    const ns = d.metadata!.namespace!;
    const pods = await client.list<KObject>(RESOURCES.pods, ns, { query: { labelSelector: selectorOf(d) } });
    if (!pods.items.some(isReady)) continue;
    const key = keyOf(kind, ns);
    live.add(key);
    const uid = d.metadata!.uid!;
    if (backends.get(key)?.uid === uid) continue;
    stop(key); // a re-seeded namespace: the old process holds the old records in memory
    const port = KINDS[kind].port(await gatewayPort(ns));
    const proc = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'),
        path.join(REPO_ROOT, KINDS[kind].script),
        '--port',
        String(port),
        ...KINDS[kind].args(ns),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    proc.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    proc.once('exit', (code) => {
      if (backends.get(key)?.proc === proc) {
        backends.delete(key);
        fs.rmSync(pidFile(key), { force: true });
        log(`${key}: exited (${code}) ${stderr.trim()}`);
      }
    });
    backends.set(key, { proc, port, uid });
    fs.writeFileSync(pidFile(key), String(proc.pid));
    log(`${key}: started on 127.0.0.1:${port} for Deployment ${d.metadata!.name}`);
  }
  for (const key of [...backends.keys()]) if (!live.has(key)) stop(key);
}

export function stopBackends() {
  for (const key of [...backends.keys()]) stop(key);
}

/**
 * In-cluster upstream addresses (`<svc>.<ns>.svc.cluster.local:<port>`) of the
 * Services in front of a namespace's stand-in, and the loopback address that answers for them.
 */
export async function localUpstreams(ns: string): Promise<LocalUpstream[]> {
  const deps = (await backendDeployments(ns)).filter((x) => PROXIED.includes(x.kind));
  if (!deps.length) return [];
  const services = await client.list<KObject>(RESOURCES.services, ns);
  const gw = await gatewayPort(ns);
  const out: LocalUpstream[] = [];
  for (const svc of services.items) {
    const sel = Object.entries((svc.spec?.selector ?? {}) as Record<string, string>);
    if (!sel.length) continue;
    const serving = deps.find(({ d }) => {
      const labels = (d.spec?.template?.metadata?.labels ?? {}) as Record<string, string>;
      return sel.every(([k, v]) => labels[k] === v);
    });
    if (!serving) continue;
    const local = `127.0.0.1:${KINDS[serving.kind].port(gw)}`;
    const name = svc.metadata!.name!;
    for (const p of (svc.spec?.ports ?? []) as Array<{ port: number }>)
      // nginx's resolver uses no search domains: only the full name resolves in the real gateway.
      out.push({ host: `${name}.${ns}.svc.cluster.local`, port: p.port, local });
  }
  return out;
}
