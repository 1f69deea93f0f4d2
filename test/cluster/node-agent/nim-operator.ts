/**
 * NIM Operator emulation for NemoEvaluator, following what v3.1.2 does on a real cluster (its source
 * and a run of it against this control plane):
 * - it creates and owns, in order, the ServiceAccount, Role, RoleBinding, Service (port `api`), then
 *   reads the database password Secret named by spec.databaseConfig, then the evaluator's own Secret
 *   (`uri`) and the Deployment (selector `app`);
 * - each object is re-rendered whole only when the CR's spec changed (nvidia.com/parent-spec-hash),
 *   or when it is missing (a deleted Role is back within a second); a restart of the operator
 *   re-renders every Role (the first pass of this process);
 * - when the database Secret (or its key) is missing it stops before the Secret and the Deployment,
 *   records a Warning Event on the CR and leaves its status as it was (still Ready): a render that
 *   never comes;
 * - the Deployment's container env is the standard env merged with spec.env by name; its init
 *   containers (wait-for-postgres, evaluator-db-migration) never get spec.env, and the migration
 *   carries EVAL_CONTAINER, never EVALUATOR_IMAGE (operator 3.0.x-3.1.x).
 */
import { KubeApiError } from '../../../lib/k8s/errors';
import type { KObject } from '../../../lib/k8s/object';
import { RESOURCES, type ResourceName } from '../../../lib/k8s/resources';
import { specHash } from '../spec-hash';
import { client, log } from './common';

const MANAGER = 'k8s-nim-operator';
export const HASH_ANNOTATION = 'nvidia.com/parent-spec-hash';
const API_PORT = 7331;
/** Harness only: the operator leaves this CR alone, as one that is not running would (tests of what it would undo). */
export const PAUSED = 'sim.flywheel-doctor.dev/operator-paused';
export const PAUSED_SEEN = 'sim.flywheel-doctor.dev/operator-paused-seen';
/** Harness only: tells the node agent to run the evaluator stand-in for this Deployment's pods. */
const HARNESS = { 'sim.flywheel-doctor.dev/backend': 'evaluator' };

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

const imageOf = (cr: KObject) => `${cr.spec.image.repository}:${cr.spec.image.tag}`;

function mergeEnv(base: EnvVar[], extra: EnvVar[] = []): EnvVar[] {
  const out = [...base];
  for (const e of extra) {
    const i = out.findIndex((x) => x.name === e.name);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

function postgresEnv(cr: KObject): EnvVar[] {
  const creds = cr.spec.databaseConfig.credentials;
  return [
    {
      name: 'POSTGRES_DB_PASSWORD',
      valueFrom: { secretKeyRef: { name: creds.secretName, key: creds.passwordKey ?? 'password' } },
    },
    { name: 'POSTGRES_URI', valueFrom: { secretKeyRef: { name: cr.metadata!.name, key: 'uri' } } },
  ];
}

function evaluationImageEnv(cr: KObject): EnvVar[] {
  return Object.entries((cr.spec.evaluationImages ?? {}) as Record<string, string>).map(([k, v]) => ({
    name: `${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_IMAGE`,
    value: v,
  }));
}

function standardEnv(cr: KObject, ns: string): EnvVar[] {
  const s = cr.spec;
  return [
    { name: 'NAMESPACE', value: ns },
    { name: 'EVALUATOR_HOST', value: '0.0.0.0' },
    { name: 'EVALUATOR_PORT', value: String(API_PORT) },
    { name: 'ARGO_HOST', value: s.argoWorkflows.endpoint },
    { name: 'MILVUS_URL', value: s.vectorDB.endpoint },
    { name: 'SERVICE_ACCOUNT', value: s.argoWorkflows.serviceAccount },
    { name: 'DATA_STORE_URL', value: s.datastore.endpoint },
    { name: 'ENTITY_STORE_URL', value: s.entitystore.endpoint },
    { name: 'EVAL_CONTAINER', value: imageOf(cr) },
    { name: 'LOG_HANDLERS', value: s.logHandlers ?? 'console' },
    { name: 'CONSOLE_LOG_LEVEL', value: s.consoleLogLevel ?? 'INFO' },
    { name: 'EVAL_LOG_LEVEL', value: s.evalLogLevel ?? 'INFO' },
    ...postgresEnv(cr),
  ];
}

/** wait-for-postgres, then the migration: spec.env never reaches them. */
export function initContainers(cr: KObject, ns: string) {
  const db = cr.spec.databaseConfig;
  return [
    {
      name: 'wait-for-postgres',
      image: 'busybox',
      command: ['sh', '-c', `until nc -z ${db.host} ${db.port ?? 5432}; do echo "Waiting for Postgres"; sleep 5; done`],
    },
    {
      name: 'evaluator-db-migration',
      image: imageOf(cr),
      command: ['sh', '-c', '/app/scripts/run-db-migration.sh'],
      env: [
        { name: 'NAMESPACE', value: ns },
        { name: 'ARGO_HOST', value: cr.spec.argoWorkflows.endpoint },
        { name: 'EVAL_CONTAINER', value: imageOf(cr) },
        { name: 'DATA_STORE_URL', value: cr.spec.datastore.endpoint },
        ...postgresEnv(cr),
        ...evaluationImageEnv(cr),
      ],
    },
  ];
}

const labelsOf = (name: string) => ({
  'app.kubernetes.io/name': name,
  'app.kubernetes.io/instance': name,
  'app.kubernetes.io/part-of': 'nemo-evaluator-service',
  'app.kubernetes.io/managed-by': MANAGER,
});

/** Every object the operator renders for one CR, in its order; the Secret and Deployment need the DB password. */
function render(cr: KObject, ns: string, password: string | undefined): Array<[ResourceName, KObject]> {
  const name = cr.metadata!.name!;
  const labels = labelsOf(name);
  const meta = { name, namespace: ns, labels };
  const objects: Array<[ResourceName, KObject]> = [
    ['serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta }],
    [
      'roles',
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: meta,
        rules: [
          {
            apiGroups: ['security.openshift.io'],
            resources: ['securitycontextconstraints'],
            resourceNames: ['nonroot'],
            verbs: ['use'],
          },
          { apiGroups: [''], resources: ['secrets', 'pods'], verbs: ['get', 'watch', 'list', 'create'] },
        ],
      },
    ],
    [
      'rolebindings',
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: meta,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
      },
    ],
    [
      'services',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta,
        spec: {
          type: cr.spec.expose?.service?.type ?? 'ClusterIP',
          selector: { 'app.kubernetes.io/name': name },
          ports: [{ name: 'api', port: cr.spec.expose?.service?.port ?? 8000, targetPort: 'api', protocol: 'TCP' }],
        },
      },
    ],
  ];
  if (password === undefined) return objects;
  const db = cr.spec.databaseConfig;
  const uri = `postgresql://${db.credentials.user}:${password}@${db.host}:${db.port ?? 5432}/${db.databaseName}`;
  objects.push(['secrets', { apiVersion: 'v1', kind: 'Secret', metadata: meta, data: { uri: b64(uri) } }]);
  objects.push([
    'deployments',
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta,
      spec: {
        replicas: cr.spec.replicas ?? 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name, ...labels }, annotations: HARNESS },
          spec: {
            serviceAccountName: name,
            ...(cr.spec.nodeSelector ? { nodeSelector: cr.spec.nodeSelector } : {}),
            ...(cr.spec.tolerations ? { tolerations: cr.spec.tolerations } : {}),
            initContainers: initContainers(cr, ns),
            containers: [
              {
                name: `${name}-ctr`,
                image: imageOf(cr),
                ports: [{ name: 'api', containerPort: API_PORT, protocol: 'TCP' }],
                env: mergeEnv(standardEnv(cr, ns), cr.spec.env),
              },
            ],
          },
        },
      },
    },
  ]);
  return objects;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** The database password the operator reads (value never logged), or why it cannot. */
async function databasePassword(cr: KObject, ns: string): Promise<{ value?: string; error?: string }> {
  const { secretName, passwordKey = 'password' } = cr.spec.databaseConfig.credentials;
  try {
    const s = await client.get<KObject>(RESOURCES.secrets, ns, secretName);
    const v = s.data?.[passwordKey];
    if (v === undefined) return { error: `key '${passwordKey}' not found in secret '${secretName}'` };
    return { value: Buffer.from(v, 'base64').toString() };
  } catch (e) {
    if (e instanceof KubeApiError && e.isNotFound)
      return { error: `failed to get secret: secrets "${secretName}" not found` };
    throw e;
  }
}

/** Roles already re-rendered by this process: an operator restart resets each Role once. */
const rolesReset = new Set<string>();
/** Warning Events already recorded, per CR uid: one per cause and spec. */
const warned = new Map<string, string>();

async function sync(type: ResourceName, ns: string, desired: KObject, cr: KObject, hash: string, force: boolean) {
  const name = desired.metadata!.name!;
  let current: KObject | undefined;
  try {
    current = await client.get<KObject>(RESOURCES[type], ns, name);
  } catch (e) {
    if (!(e instanceof KubeApiError && e.isNotFound)) throw e;
  }
  if (current && !force && current.metadata?.annotations?.[HASH_ANNOTATION] === hash) return false;
  desired.metadata = {
    ...desired.metadata,
    annotations: { ...desired.metadata?.annotations, [HASH_ANNOTATION]: hash },
    ownerReferences: [
      {
        apiVersion: 'apps.nvidia.com/v1alpha1',
        kind: 'NemoEvaluator',
        name: cr.metadata!.name!,
        uid: cr.metadata!.uid!,
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
  if (!current) {
    await client.request('POST', `${collection(type, ns)}`, { body: desired, query: { fieldManager: MANAGER } });
    return true;
  }
  // A whole-object update, as the operator's: what a person added to the object is gone.
  const body: KObject = {
    ...desired,
    metadata: { ...desired.metadata, resourceVersion: current.metadata!.resourceVersion },
  };
  if (type === 'services')
    body.spec = { ...body.spec, clusterIP: current.spec.clusterIP, clusterIPs: current.spec.clusterIPs };
  await client.request('PUT', `${collection(type, ns)}/${name}`, { body, query: { fieldManager: MANAGER } });
  return true;
}

function collection(type: ResourceName, ns: string) {
  const t = RESOURCES[type];
  return `${t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`}/namespaces/${ns}/${t.plural}`;
}

async function warn(cr: KObject, ns: string, hash: string, message: string) {
  const uid = cr.metadata!.uid!;
  if (warned.get(uid) === `${hash} ${message}`) return;
  warned.set(uid, `${hash} ${message}`);
  const now = new Date().toISOString();
  await client.request('POST', `/api/v1/namespaces/${ns}/events`, {
    body: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${cr.metadata!.name}.`, namespace: ns },
      involvedObject: {
        apiVersion: 'apps.nvidia.com/v1alpha1',
        kind: 'NemoEvaluator',
        name: cr.metadata!.name,
        namespace: ns,
        uid,
        resourceVersion: cr.metadata!.resourceVersion,
      },
      type: 'Warning',
      reason: 'Failed',
      message,
      source: { component: 'nemoevaluator-controller' },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    },
  });
}

async function reconcile(cr: KObject) {
  const ns = cr.metadata!.namespace!;
  const name = cr.metadata!.name!;
  const hash = specHash(cr.spec);
  if (!cr.spec?.databaseConfig?.credentials || !cr.spec?.image) return; // the real CRD refuses such a CR
  if (cr.metadata?.annotations?.[PAUSED] === 'true') {
    // An operator that is not running. Said back on the CR once, so a test knows no pass that started
    // before the pause is still under way (passes run one after another).
    if (cr.metadata.annotations[PAUSED_SEEN] !== 'true')
      await client.request('PATCH', `/apis/apps.nvidia.com/v1alpha1/namespaces/${ns}/nemoevaluators/${name}`, {
        contentType: 'application/merge-patch+json',
        body: { metadata: { annotations: { [PAUSED_SEEN]: 'true' } } },
      });
    return;
  }
  const firstPass = !rolesReset.has(cr.metadata!.uid!);
  const password = await databasePassword(cr, ns);
  const objects = render(cr, ns, password.value);
  for (const [type, obj] of objects) {
    if (await sync(type, ns, obj, cr, hash, type === 'roles' && firstPass))
      log(`rendered ${obj.kind} ${ns}/${name} from NemoEvaluator spec ${hash}`);
    if (type === 'roles') rolesReset.add(cr.metadata!.uid!);
    if (type === 'services' && password.error) {
      await warn(cr, ns, hash, `NemoEvaluator ${name} failed, msg: ${password.error}`);
      return; // No Secret, no Deployment: the render stalls here, the status stays as it was.
    }
  }
}

/** One pass over every NemoEvaluator (or one namespace's: tests that stand in for a restarted operator). */
export async function reconcileEvaluators(namespace?: string) {
  let crs: { items: KObject[] };
  try {
    crs = await client.request(
      'GET',
      `/apis/apps.nvidia.com/v1alpha1${namespace ? `/namespaces/${namespace}` : ''}/nemoevaluators`,
    );
  } catch (e) {
    if (e instanceof KubeApiError && e.isNotFound) return; // CRD not installed
    throw e;
  }
  for (const cr of crs.items) {
    if (cr.metadata?.deletionTimestamp) continue;
    await reconcile(cr).catch((e) =>
      log(`NemoEvaluator ${cr.metadata?.namespace}/${cr.metadata?.name}: ${(e as Error).message}`),
    );
  }
}
