/**
 * The gateway: for each namespace with a ready `nemo-gateway` pod, runs a real nginx on 127.0.0.1
 * with the ConfigMap's nginx.conf (only listen, resolver and upstream addresses adapted), restarted whenever the
 * Deployment rolls out a new pod. Ports are written to .cluster/sim/gateways.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { KObject } from '../../../lib/k8s/object';
import { RESOURCES } from '../../../lib/k8s/resources';
import { FILES } from '../paths';
import { localUpstreams } from './backends';
import { client, gatewayPort, log, sleep } from './common';

export const gateways = new Map<string, { port: number; key: string; proc?: ChildProcess }>();

/** An in-cluster upstream address and the loopback address of the process that stands in for it. */
export interface LocalUpstream {
  host: string;
  port: number;
  local: string;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Only listen, resolver and upstream addresses are adapted; process-level directives move to the
 * command line. There is no cluster DNS here, so an upstream `<svc>.<ns>.svc.cluster.local:<port>`
 * whose Service has a local stand-in becomes its loopback address; any other name is left to the
 * resolver, which answers nothing, so nginx returns 502 as it does for a name that does not resolve.
 */
export function adaptNginxConf(conf: string, port: number, upstreams: LocalUpstream[] = []): string {
  let out = conf
    .replace(/^\s*(daemon|pid|user|error_log)\s+[^;]*;\s*$/gm, '')
    .replace(/listen\s+[^;]+;/g, `listen 127.0.0.1:${port};`)
    .replace(/resolver\s+[^;]+;/g, 'resolver 127.0.0.1 valid=10s;');
  for (const u of upstreams)
    out = out.replace(new RegExp(`(?<![\\w.-])${escapeRegex(u.host)}:${u.port}(?![\\w])`, 'g'), u.local);
  return out;
}

function readErrorLog(dir: string): string {
  try {
    return fs.readFileSync(path.join(dir, 'logs/error.log'), 'utf8').trim().split('\n').slice(-2).join(' | ');
  } catch {
    return 'no error log';
  }
}

/**
 * The upstreams nginx can resolve: only when its resolver is the cluster DNS Service (as in a real
 * cluster, where another address answers nothing), else none, so every proxied path gets 502.
 */
async function reachableUpstreams(ns: string, conf: string): Promise<LocalUpstream[]> {
  const dns = await client.get<KObject>(RESOURCES.services, 'openshift-dns', 'dns-default').catch(() => undefined);
  const resolvers = [...conf.matchAll(/^\s*resolver\s+([^;]+);/gm)].flatMap((m) =>
    m[1]!.split(/\s+/).filter((a) => !a.includes('=')),
  );
  if (!dns?.spec?.clusterIP || !resolvers.some((r) => r.replace(/:\d+$/, '') === dns.spec.clusterIP)) return [];
  return localUpstreams(ns);
}

export async function reconcileGateways() {
  const deps = await client.request<{ items: KObject[] }>('GET', '/apis/apps/v1/deployments', {
    query: { fieldSelector: 'metadata.name=nemo-gateway' },
  });
  const live = new Set<string>();
  for (const d of deps.items) {
    const ns = d.metadata!.namespace!;
    live.add(ns);
    const sel = Object.entries(d.spec.selector?.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = await client.list<KObject>(RESOURCES.pods, ns, { query: { labelSelector: sel } });
    const ready = pods.items.filter(
      (p) =>
        !p.metadata?.deletionTimestamp &&
        (p.status?.conditions ?? []).some(
          (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
        ),
    );
    const key = ready
      .map((p) => p.metadata!.name)
      .sort()
      .join(',');
    const g = gateways.get(ns) ?? { port: await gatewayPort(ns), key: '' };
    gateways.set(ns, g);
    if (!key || key === g.key) continue;
    // Only pods that went away (the old ones after a rollout): the ones left already serve their config,
    // as the real Service keeps routing to them. Restarting here would refuse connections for nothing.
    const before = new Set(g.key.split(',').filter(Boolean));
    if (g.proc && ready.every((p) => before.has(p.metadata!.name!))) {
      g.key = key;
      continue;
    }
    // A new pod came up: start nginx with the ConfigMap as it is now, as the real pod would.
    let conf: string;
    try {
      const cm = await client.get<KObject>(RESOURCES.configmaps, ns, 'nemo-gateway-config');
      conf = cm.data?.['nginx.conf'] ?? '';
    } catch (e) {
      log(`gateway ${ns}: ${(e as Error).message}`);
      continue;
    }
    const dir = path.join(FILES.sim, 'nginx', ns);
    fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'nginx.conf'), adaptNginxConf(conf, g.port, await reachableUpstreams(ns, conf)));
    const args = [
      '-p',
      dir,
      '-c',
      path.join(dir, 'nginx.conf'),
      '-g',
      `daemon off; pid ${path.join(dir, 'nginx.pid')}; error_log ${path.join(dir, 'logs/error.log')};`,
    ];
    const test = spawnSync('nginx', ['-t', '-q', ...args], { encoding: 'utf8' });
    if (test.status !== 0) {
      log(`gateway ${ns}: nginx.conf rejected: ${test.stderr.trim()}`);
      g.key = key;
      continue;
    }
    if (g.proc) {
      g.proc.kill('SIGQUIT');
      await new Promise((r) => g.proc!.once('exit', r));
    }
    const proc = spawn('nginx', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d));
    g.proc = proc;
    fs.writeFileSync(path.join(FILES.sim, `nginx-${ns}.pid`), String(proc.pid));
    g.key = key;
    // A port already taken (another cluster's gateway) makes nginx exit at once: say so loudly.
    const died = await Promise.race([
      new Promise<boolean>((r) => proc.once('exit', () => r(true))),
      sleep(500).then(() => false),
    ]);
    if (died) {
      log(`gateway ${ns}: nginx FAILED to start on 127.0.0.1:${g.port}: ${stderr.trim() || readErrorLog(dir)}`);
      g.proc = undefined; // retried on the next rollout of the gateway
      continue;
    }
    log(`gateway ${ns}: nginx (re)started on 127.0.0.1:${g.port} for pods ${key}`);
  }
  for (const [ns, g] of gateways) {
    if (!live.has(ns)) {
      g.proc?.kill('SIGQUIT');
      fs.rmSync(path.join(FILES.sim, `nginx-${ns}.pid`), { force: true });
      gateways.delete(ns);
    }
  }
}
