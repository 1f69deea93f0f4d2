/**
 * Loads the YAML fixtures of a scenario into a namespace with server-side apply:
 * the CRDs (fixtures/nim-crds.ts, crds.yaml; cluster-wide), namespace.yaml, each check's fragment
 * (checks/<id>/fixtures/<broken|healthy>.yaml), then the scenario's shared files (SCENARIOS). Re-seeding an
 * existing namespace deletes it first, so every seed starts from the same state.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KubeAccess, type KubeClient } from '../../lib/k8s/client';
import { KubeApiError } from '../../lib/k8s/errors';
import type { ResourceType } from '../../lib/k8s/resources';
import type { KObject } from '../../lib/k8s/object';
import { JOB_FIXTURES } from './fixtures/flywheel-jobs';
import { NIM_CRD_NAMES, NIM_CRDS } from './fixtures/nim-crds';
import { dataStoreFile, entityStoreDataFile, FILES, flywheelJobsFile, nimModelsFile, REPO_ROOT } from './paths';
import { specHash } from './spec-hash';

/**
 * What each scenario is made of: its fixture files (after namespace.yaml), whether it reproduces the
 * failures (the worker's crash loop, models owned by the download jobs' UID), and the base models the
 * Entity Store stand-in starts with.
 */
/** The base model of the seeded df-config, and another one the broken NIM serves instead (nim_base_url names the wrong NIM). */
const BASE_MODEL = 'meta/llama-3.2-1b-instruct';
const OTHER_MODEL = 'meta/llama-3.1-8b-instruct';

export const SCENARIOS = {
  /** The guide's gateway (mocks) with the guide's four failures plus a crash-looping worker. */
  broken: {
    files: ['broken.yaml', 'gateway-mock-missing-model.yaml'],
    failing: true,
    registered: [],
    served: [OTHER_MODEL],
  },
  healthy: { files: ['healthy.yaml', 'gateway-mock.yaml'], failing: false, registered: [], served: [BASE_MODEL] },
  /** Today's gateway (no mocks, proxied to the Entity Store): a base model not registered, and the rest of broken. */
  'broken-proxy': {
    files: ['broken.yaml', 'gateway-proxy.yaml'],
    failing: true,
    registered: [],
    served: [OTHER_MODEL],
  },
  'healthy-proxy': {
    files: ['healthy.yaml', 'gateway-proxy-healthy.yaml'],
    failing: false,
    registered: [BASE_MODEL],
    served: [BASE_MODEL],
  },
} satisfies Record<string, { files: string[]; failing: boolean; registered: string[]; served: string[] }>;
export type ScenarioName = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];
const FIXTURES = path.join(__dirname, 'fixtures');

const KINDS: Record<string, Omit<ResourceType, 'kind'>> = {
  Namespace: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  Secret: { group: '', version: 'v1', plural: 'secrets', namespaced: true },
  ConfigMap: { group: '', version: 'v1', plural: 'configmaps', namespaced: true },
  Service: { group: '', version: 'v1', plural: 'services', namespaced: true },
  ServiceAccount: { group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true },
  PersistentVolume: { group: '', version: 'v1', plural: 'persistentvolumes', namespaced: false },
  PersistentVolumeClaim: { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  Role: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', namespaced: true },
  RoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', namespaced: true },
  ClusterRole: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'clusterrolebindings',
    namespaced: false,
  },
  CustomResourceDefinition: {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    namespaced: false,
  },
  NemoEvaluator: { group: 'apps.nvidia.com', version: 'v1alpha1', plural: 'nemoevaluators', namespaced: true },
  NIMService: { group: 'apps.nvidia.com', version: 'v1alpha1', plural: 'nimservices', namespaced: true },
  SecurityContextConstraints: {
    group: 'security.openshift.io',
    version: 'v1',
    plural: 'securitycontextconstraints',
    namespaced: false,
  },
};

function typeOf(kind: string): ResourceType {
  const t = KINDS[kind];
  if (!t) throw new Error(`seed: no API mapping for kind ${kind}; add it to KINDS in test/cluster/seed.ts`);
  return { ...t, kind };
}

function objPath(t: ResourceType, ns: string | undefined, name?: string, sub?: string) {
  const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  return `${base}${t.namespaced ? `/namespaces/${ns}` : ''}/${t.plural}${name ? `/${name}` : ''}${sub ? `/${sub}` : ''}`;
}

/** Harness only: the seed does not wait for this Deployment to become available (a fixture built to stay Pending). */
export const NEVER_AVAILABLE = 'sim.flywheel-doctor.dev/never-available';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`seed: timed out waiting for ${what}`);
}

/**
 * The API mapping of a fixture's kind: the table above, else the API server's discovery for its
 * apiVersion (so a check folder's fixtures may bring kinds of their own, CRDs included).
 */
async function typeFor(client: KubeClient, obj: KObject): Promise<ResourceType> {
  if (KINDS[obj.kind!]) return typeOf(obj.kind!);
  const [group, version] = obj.apiVersion!.includes('/') ? obj.apiVersion!.split('/') : ['', obj.apiVersion!];
  const found = await client.request<{ resources: Array<{ name: string; kind: string; namespaced: boolean }> }>(
    'GET',
    group ? `/apis/${group}/${version}` : `/api/${version}`,
  );
  const r = found.resources.find((x) => x.kind === obj.kind && !x.name.includes('/'));
  if (!r) throw new Error(`seed: the API server serves no ${obj.kind} in ${obj.apiVersion}`);
  KINDS[obj.kind!] = { group: group!, version: version!, plural: r.name, namespaced: r.namespaced };
  return typeOf(obj.kind!);
}

async function apply(client: KubeClient, obj: KObject, manager: string) {
  const t = await typeFor(client, obj);
  const ns = obj.metadata?.namespace;
  const status = obj.status;
  const applied = await client.request<KObject>('PATCH', objPath(t, ns, obj.metadata!.name), {
    body: { ...obj, status: undefined },
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: manager, force: true },
  });
  if (status) {
    // Status is written by controllers in real clusters; the seed stands in for them.
    await client.request('PATCH', objPath(t, ns, obj.metadata!.name, 'status'), {
      body: { status },
      contentType: 'application/merge-patch+json',
    });
  }
  return applied;
}

/**
 * Each check's own part of a scenario, from its folder: checks/<id>/fixtures/broken.yaml for the
 * failing scenarios, healthy.yaml for the others, cluster.yaml for what it needs cluster-wide (its
 * CRDs, nodes): a new check's fixtures need no line here.
 */
export function checkFragments(part: boolean | 'cluster'): string[] {
  const checks = path.join(REPO_ROOT, 'checks');
  const file = part === 'cluster' ? 'cluster.yaml' : part ? 'broken.yaml' : 'healthy.yaml';
  return fs
    .readdirSync(checks)
    .sort()
    .map((id) => path.join(checks, id, 'fixtures', file))
    .filter((f) => fs.existsSync(f));
}

function load(file: string, vars: Record<string, string>): KObject[] {
  const text = fs
    .readFileSync(path.isAbsolute(file) ? file : path.join(FIXTURES, file), 'utf8')
    .replace(/\$\{(NS|PV_DIR)\}/g, (_, k: string) => vars[k]!);
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KObject)
    .filter((o) => o && o.kind);
}

/** Fills ${UID:Kind/name} owner references from objects created earlier in the same seed. */
function resolveUids(obj: KObject, uids: Map<string, string>): KObject {
  return JSON.parse(
    JSON.stringify(obj).replace(/\$\{UID:([^}]+)\}/g, (_, ref: string) => {
      const uid = uids.get(ref);
      if (!uid) throw new Error(`seed: ${ref} must be created before objects that reference it`);
      return uid;
    }),
  ) as KObject;
}

export interface SeedOptions {
  scenario: string;
  namespace: string;
  kubeconfig?: string;
  /** Pin the port the local gateway nginx listens on for this namespace. */
  gatewayPort?: number;
  log?: (m: string) => void;
}

export async function seedScenario(opts: SeedOptions): Promise<void> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[seed] ${m}\n`));
  if (!(opts.scenario in SCENARIOS))
    throw new Error(`unknown scenario "${opts.scenario}"; choose one of: ${SCENARIO_NAMES.join(', ')}`);
  const scenario = SCENARIOS[opts.scenario as ScenarioName];
  const ns = opts.namespace;
  const client = new KubeAccess({ kubeconfig: opts.kubeconfig ?? FILES.adminKubeconfig }).app();
  const t0 = Date.now();

  // 1. CRDs and cluster-wide RBAC (idempotent), the check folders' cluster-wide objects (their CRDs first).
  const clusterFragments = checkFragments('cluster').flatMap((f) => load(f, {}));
  const fragmentCrds = clusterFragments.filter((o) => o.kind === 'CustomResourceDefinition');
  for (const o of [...NIM_CRDS, ...load('crds.yaml', {}), ...fragmentCrds]) await apply(client, o, 'fd-seed');
  await until('CRDs established', async () => {
    for (const name of [
      ...NIM_CRD_NAMES,
      ...fragmentCrds.map((c) => c.metadata!.name!),
      'securitycontextconstraints.security.openshift.io',
      'nemotrainingjobs.nvidia.com',
    ]) {
      const crd = await client.request<KObject>(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
      );
      if (
        !(crd.status?.conditions ?? []).some(
          (c: { type: string; status: string }) => c.type === 'Established' && c.status === 'True',
        )
      )
        return false;
    }
    return true;
  });
  for (const o of [...load('cluster-objects.yaml', {}), ...clusterFragments.filter((x) => !fragmentCrds.includes(x))])
    await apply(client, o, 'fd-seed');

  // 2. A clean namespace and its PVs.
  const nsType = typeOf('Namespace');
  try {
    await client.request('DELETE', objPath(nsType, undefined, ns));
    log(`deleting existing namespace ${ns} ...`);
    await until(
      `namespace ${ns} to be deleted`,
      async () => {
        try {
          await client.request('GET', objPath(nsType, undefined, ns));
          return false;
        } catch (e) {
          return e instanceof KubeApiError && e.isNotFound;
        }
      },
      120_000,
    );
  } catch (e) {
    if (!(e instanceof KubeApiError && e.isNotFound)) throw e;
  }
  // Every PV claimed from this namespace: a PV bound to a deleted claim never rebinds.
  const pvType = typeOf('PersistentVolume');
  const pvs = await client.request<{ items: KObject[] }>('GET', objPath(pvType, undefined));
  for (const pvName of pvs.items.filter((p) => p.spec?.claimRef?.namespace === ns).map((p) => p.metadata!.name!)) {
    try {
      await client.request('DELETE', objPath(pvType, undefined, pvName));
      await until(`PV ${pvName} to be deleted`, async () => {
        try {
          await client.request('GET', objPath(pvType, undefined, pvName));
          return false;
        } catch (e) {
          return e instanceof KubeApiError && e.isNotFound;
        }
      });
    } catch (e) {
      if (!(e instanceof KubeApiError && e.isNotFound)) throw e;
    }
  }

  // 3. Model files on the PV, owned as the scenario says (broken: 1000:1000, the download jobs' UID).
  const pvDir = path.join(FILES.pv, ns, 'models');
  fs.rmSync(pvDir, { recursive: true, force: true });
  const modelDir = path.join(pvDir, 'llama32_1b-instruct_2_0');
  fs.mkdirSync(modelDir, { recursive: true });
  fs.writeFileSync(
    path.join(modelDir, 'config.json'),
    JSON.stringify({ architectures: ['LlamaForCausalLM'], hidden_size: 2048 }),
  );
  fs.writeFileSync(path.join(modelDir, 'model.safetensors'), Buffer.alloc(4096));
  fs.writeFileSync(path.join(modelDir, 'tokenizer.json'), '{}');
  const owner = scenario.failing ? '1000:1000' : '1000920000:1000';
  execFileSync('chown', ['-R', owner, modelDir]);
  execFileSync('chmod', ['-R', 'u=rwX,g=rX,o=', modelDir]);
  fs.chmodSync(pvDir, 0o755);

  // 4. Apply the namespace fixtures, then the scenario's.
  const vars = { NS: ns, PV_DIR: pvDir };
  const uids = new Map<string, string>();
  const marker = path.join(FILES.sim, 'markers', `${ns}-broker-down`);
  fs.mkdirSync(path.dirname(marker), { recursive: true });
  if (scenario.failing) fs.writeFileSync(marker, '');
  else fs.rmSync(marker, { force: true });
  writeEntityStoreRecords(ns, scenario.registered);
  fs.mkdirSync(path.dirname(nimModelsFile(ns)), { recursive: true });
  fs.writeFileSync(nimModelsFile(ns), JSON.stringify(scenario.served));
  // A re-seeded namespace starts with an empty Data Store, as the Entity Store starts with the scenario's records.
  fs.mkdirSync(path.dirname(dataStoreFile(ns)), { recursive: true });
  fs.writeFileSync(dataStoreFile(ns), '{}');
  fs.mkdirSync(path.dirname(flywheelJobsFile(ns)), { recursive: true });
  fs.writeFileSync(flywheelJobsFile(ns), JSON.stringify(JOB_FIXTURES[scenario.failing ? 'broken' : 'healthy']));
  for (const [file, manager] of [
    ['namespace.yaml', 'fd-seed'],
    // One field manager per fragment: applying one never removes what another one set on a shared object.
    ...checkFragments(scenario.failing).map(
      (f) => [f, `fd-seed-${path.basename(path.dirname(path.dirname(f)))}`] as const,
    ),
    ...scenario.files.map((f) => [f, 'fd-seed-scenario'] as const),
  ] as const) {
    for (const raw of load(file, vars)) {
      if (raw.kind === 'Namespace' && opts.gatewayPort)
        raw.metadata!.annotations = {
          ...raw.metadata!.annotations,
          'sim.flywheel-doctor.dev/gateway-port': String(opts.gatewayPort),
        };
      const applied = await apply(client, resolveUids(raw, uids), manager);
      uids.set(`${raw.kind}/${raw.metadata!.name}`, applied.metadata!.uid!);
    }
    // The operator renders the evaluator from the CR before the scenario's files bring the gateway's
    // config, so the gateway starts with every Service it proxies to in place (as installs go).
    if (file === 'namespace.yaml') await until('the operator to render the evaluator', () => exists(client, ns));
  }

  // 5. Wait until the scenario's state is real: the operator's render, rollouts done, gateway serving, crash loop under way.
  await evaluatorRendered(client, ns);
  const deployments = await client.request<{ items: KObject[] }>('GET', `/apis/apps/v1/namespaces/${ns}/deployments`);
  // Every Deployment available (the broken worker only needs its pod), so a seed is settled when it returns;
  // a fixture that is never available by design (its pods cannot be scheduled) says so on the Deployment.
  const crashing = scenario.failing ? 'df-celery-worker-deployment' : '';
  await until(
    'all Deployments to be available',
    async () => {
      const d = await client.request<{ items: KObject[] }>('GET', `/apis/apps/v1/namespaces/${ns}/deployments`);
      return d.items.every((x) =>
        x.metadata?.annotations?.[NEVER_AVAILABLE] === 'true'
          ? true
          : x.metadata?.name === crashing
            ? (x.status?.updatedReplicas ?? 0) >= 1
            : rolledOut(x),
      );
    },
    90_000,
  );
  if (!scenario.failing) await fixEvaluatorInit(client, ns);
  if (scenario.failing) {
    await until(
      'the celery worker to crash once',
      async () => {
        const pods = await client.request<{ items: KObject[] }>('GET', `/api/v1/namespaces/${ns}/pods`, {
          query: { labelSelector: 'app=df-celery-worker-deployment' },
        });
        return pods.items.some((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
      },
      60_000,
    );
    fs.rmSync(marker, { force: true }); // Redis is back; the stale pidfile keeps the pod crash-looping.
  }
  log(
    `seeded scenario "${opts.scenario}" into namespace ${ns} (${deployments.items.length} deployments) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}

/**
 * The Entity Store stand-in's records for a fresh namespace (the node agent starts it on this file):
 * the scenario's base models, registered as `POST /v1/models` would have stored them.
 */
function writeEntityStoreRecords(ns: string, models: string[]) {
  const now = new Date().toISOString();
  const records = Object.fromEntries(
    models.map((id) => {
      const [namespace, ...rest] = id.split('/');
      const name = rest.join('/');
      return [
        id,
        {
          name,
          namespace,
          id: `model-${name}`,
          description: `Base model ${id}`,
          spec: { context_size: 8192, is_chat: true, num_parameters: 1000000000, num_virtual_tokens: 0 },
          artifact: { status: 'upload_completed', files_url: `nim://${id}` },
          project: '',
          custom_fields: {},
          created_at: now,
          updated_at: now,
        },
      ];
    }),
  );
  const namespaces = Object.fromEntries(
    [...new Set(models.map((m) => m.split('/')[0]!))].map((id) => [id, { id, created_at: now, updated_at: now }]),
  );
  const file = entityStoreDataFile(ns);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ namespaces, models: records }, null, 2));
}

const exists = (client: KubeClient, ns: string) =>
  client.request('GET', objPath(typeOf('Deployment'), ns, 'nemoevaluator-sample')).then(() => true);

/** Waits until the operator has rendered the evaluator's Deployment from the CR's current spec. */
async function evaluatorRendered(client: KubeClient, ns: string): Promise<KObject> {
  const crPath = objPath(typeOf('NemoEvaluator'), ns, 'nemoevaluator-sample');
  let dep: KObject = {};
  await until('the operator to render the evaluator', async () => {
    const cr = await client.request<KObject>('GET', crPath);
    dep = await client.request<KObject>('GET', objPath(typeOf('Deployment'), ns, 'nemoevaluator-sample'));
    return dep.metadata?.annotations?.['nvidia.com/parent-spec-hash'] === specHash(cr.spec);
  });
  return dep;
}

/**
 * The healthy state of the evaluator's migration init container: EVALUATOR_IMAGE added after the
 * operator's last render (the operator drops it on every render, so it can only be added after).
 */
async function fixEvaluatorInit(client: KubeClient, ns: string) {
  const deployments = typeOf('Deployment');
  const dep = await evaluatorRendered(client, ns);
  const cr = await client.request<KObject>('GET', objPath(typeOf('NemoEvaluator'), ns, 'nemoevaluator-sample'));
  const inits = (dep.spec?.template?.spec?.initContainers ?? []) as Array<{ name: string }>;
  const idx = inits.findIndex((c) => c.name === 'evaluator-db-migration');
  if (idx < 0) return;
  await client.request('PATCH', objPath(deployments, ns, 'nemoevaluator-sample'), {
    contentType: 'application/json-patch+json',
    body: [
      { op: 'test', path: `/spec/template/spec/initContainers/${idx}/name`, value: 'evaluator-db-migration' },
      {
        op: 'add',
        path: `/spec/template/spec/initContainers/${idx}/env/-`,
        value: { name: 'EVALUATOR_IMAGE', value: `${cr.spec.image.repository}:${cr.spec.image.tag}` },
      },
    ],
  });
  await until('the evaluator to roll out', async () =>
    rolledOut(await client.request<KObject>('GET', objPath(deployments, ns, 'nemoevaluator-sample'))),
  );
}

/** Rolled out: the current template (a second apply makes a new ReplicaSet) is the only one, and available. */
function rolledOut(d: KObject): boolean {
  const want = d.spec?.replicas ?? 1;
  return (
    (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (d.status?.updatedReplicas ?? 0) >= want &&
    (d.status?.availableReplicas ?? 0) >= want &&
    (d.status?.replicas ?? 0) === (d.status?.updatedReplicas ?? 0)
  );
}
