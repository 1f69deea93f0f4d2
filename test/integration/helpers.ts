import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { CHECKS } from '../../checks';
import type { Doctor } from '../../lib/engine/doctor';
import { createDoctor } from '../../lib/engine/factory';
import { KubeAccess, type KubeClient } from '../../lib/k8s/client';
import { RESOURCES, type ResourceName } from '../../lib/k8s/resources';
import { metrics } from '../../lib/metrics';
import type { KObject } from '../../lib/k8s/object';
import {
  entityStorePortFor,
  FILES,
  flywheelApiPortFor,
  nimPortFor,
  platformPortFor,
  REPO_ROOT,
  serviceOverrides,
  TOKENS,
} from '../cluster/paths';
import { SCENARIOS, seedScenario, type ScenarioName } from '../cluster/seed';

export const KUBECONFIGS = {
  admin: FILES.adminKubeconfig,
  readonly: FILES.readonlyKubeconfig,
  editor: FILES.editorKubeconfig,
};
export { TOKENS };

export function access(who: keyof typeof KUBECONFIGS = 'admin') {
  return new KubeAccess({ kubeconfig: KUBECONFIGS[who] });
}

export function doctorFor(
  namespace: string,
  gatewayPort: number,
  who: keyof typeof KUBECONFIGS = 'admin',
  env: Record<string, string> = {},
): Doctor {
  const config = {
    serviceUrlOverrides: serviceOverrides(gatewayPort),
    rolloutTimeoutMs: 90_000,
  };
  return createDoctor({ registry: CHECKS, kubeconfig: KUBECONFIGS[who], namespace, config, env, metrics });
}

export async function seed(namespace: string, scenario: ScenarioName, gatewayPort: number) {
  await seedScenario({ scenario, namespace, gatewayPort, log: () => undefined });
  // The gateway's nginx and the stand-ins come up when their pods are Ready; wait until each answers.
  await answers(`http://127.0.0.1:${gatewayPort}/healthz`, `gateway for ${namespace}`);
  await answers(`http://127.0.0.1:${entityStorePortFor(gatewayPort)}/health`, `Entity Store for ${namespace}`);
  await answers(`http://127.0.0.1:${nimPortFor(gatewayPort)}/v1/health/ready`, `NIM for ${namespace}`);
  await answers(`http://127.0.0.1:${flywheelApiPortFor(gatewayPort)}/openapi.json`, `flywheel API for ${namespace}`);
  // The services behind the gateway answer once their pods are Ready. A healthy scenario has them all
  // up: wait for each. A failing one may keep one down (the evaluator's init container crash-loops),
  // so only those already Ready are waited for.
  const admin = access('admin').app();
  for (const [kind, deployment] of [
    ['data-store', 'nemodatastore-sample'],
    ['customizer', 'nemocustomizer-sample'],
    ['evaluator', 'nemoevaluator-sample'],
  ] as const) {
    const d = await admin.get<KObject>(RESOURCES.deployments, namespace, deployment).catch(() => undefined);
    if (!SCENARIOS[scenario].failing || (d?.status?.readyReplicas ?? 0) > 0)
      await answers(
        `http://127.0.0.1:${platformPortFor(kind, gatewayPort)}/health`,
        `${kind} for ${namespace}`,
        true,
        60_000,
      );
  }
}

/** Waits until a URL answers 2xx (30 s unless said). */
export async function answers(url: string, what: string, wantUp = true, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const up = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (up === wantUp) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not ${wantUp ? 'come up' : 'go down'} at ${url}`);
}

/** resourceVersion of every object of the given kinds: "dry run changes nothing" is checked with this. */
export async function resourceVersions(
  client: KubeClient,
  namespace: string,
  kinds: ResourceName[] = ['deployments', 'roles', 'configmaps', 'nemoevaluators', 'persistentvolumeclaims'],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const k of kinds) {
    const list = await client.list<KObject>(RESOURCES[k], namespace);
    // Objects with a spec generation by it (controllers update their status all the time; a write
    // to the spec bumps it); the others by resourceVersion.
    for (const o of list.items)
      out[`${k}/${o.metadata?.name}`] =
        o.metadata?.generation !== undefined
          ? `generation ${o.metadata.generation}`
          : (o.metadata?.resourceVersion ?? '');
  }
  return out;
}

export async function podNames(client: KubeClient, namespace: string): Promise<string[]> {
  return (await client.list<KObject>(RESOURCES.pods, namespace)).items.map((p) => p.metadata!.name!).sort();
}

/** A namespace with nothing in it: every check must explain itself there. */
export const EMPTY_NS = 'it-empty';

export async function ensureEmptyNamespace(): Promise<string> {
  const admin = access('admin').app();
  await admin.create(RESOURCES.namespaces, undefined, { metadata: { name: EMPTY_NS } }).catch(() => undefined);
  // The viewer may read it as in a seeded namespace (the `view` role), so its errors are about RBAC objects.
  const binding = {
    metadata: { name: 'flywheel-viewers-view', namespace: EMPTY_NS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: TOKENS.readonly.group }],
  };
  await admin.create(RESOURCES.rolebindings, EMPTY_NS, binding).catch(() => undefined);
  return EMPTY_NS;
}

/**
 * Calls a route handler in this process as the dashboard would (a loopback host, JSON in), and
 * returns the body text: GET without a body, POST with one.
 */
export async function callRoute(
  handler: (req: Request, ctx: never) => Promise<Response>,
  url: string,
  body?: unknown,
  params?: object,
): Promise<string> {
  const req = new Request(`http://127.0.0.1:3000${url}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json', host: '127.0.0.1:3000' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return (await handler(req, { params: Promise.resolve(params ?? {}) } as never)).text();
}

/**
 * Runs test/python/sdk_conformance.py (the official NeMo Microservices SDK, strict) with these
 * arguments in the project's Python venv: which calls it made, and the first that failed and why.
 */
export function runSdk(args: string[]) {
  const venv = execFileSync('bash', [path.join(REPO_ROOT, 'scripts/python-venv.sh')], { encoding: 'utf8' }).trim();
  const r = spawnSync(
    path.join(venv, 'bin/python'),
    [path.join(REPO_ROOT, 'test/python/sdk_conformance.py'), ...args],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let result: { ok: boolean; calls: string[]; failed?: string; error?: string };
  try {
    result = JSON.parse(last);
  } catch {
    throw new Error(`the SDK script printed no result (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  }
  return result;
}
