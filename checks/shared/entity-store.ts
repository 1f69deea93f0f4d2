import type { FixStep } from '../../lib/engine/steps';
import type { AccessQuestion } from '../../lib/k8s/client';
import './nim-resources';
import { parseYamlOnce as parseYaml } from './yaml';
import { z } from 'zod';
import { serviceBaseUrl, type ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import { httpGet } from '../../lib/http';
import { parseServiceHost } from '../../lib/k8s/names';

/** Where the flywheel's config names its base models, and models checked beyond those. */
export const DataFlywheelSection = z
  .object({
    configMap: z.string().default('df-config'),
    configKey: z.string().default('config.yaml'),
    /** Base models checked beyond those found in df-config and NIMServices. */
    extraModels: z.array(z.string()).default([]),
  })
  .prefault({});

/** The NeMo Entity Store behind the gateway (operator name and port by default). */
export const EntityStoreSection = z
  .object({
    service: z.string().default('nemoentitystore-sample'),
    port: z.number().int().positive().default(8000),
  })
  .prefault({});

type ModelsConfig = ConfigOf<{ dataFlywheel: typeof DataFlywheelSection }>;
export type EntityStoreConfig = ConfigOf<{ entityStore: typeof EntityStoreSection }>;

/** The Entity Store's own address as the doctor reaches it (bypassing the gateway). */
export const entityStoreBase = (config: EntityStoreConfig) =>
  serviceBaseUrl(config, config.entityStore.service, config.entityStore.port);

const optionalInt = z.number().int().optional();
/**
 * The model record the evaluator needs (real-stack.md §2), judged by the platform's own types (the
 * NeMo Microservices SDK's `Model`): a field that is there must have the SDK's type (`base_model` is
 * a string *or an object* such as `{"namespace", "name"}`), but sub-fields the SDK only requires in
 * its strict mode (an `artifact: {}` as the guide's mocks write it) are tolerated, as the platform's
 * clients tolerate them by default. The evaluator's own rules come on top: name and namespace.
 */
export const EntityStoreModelSchema = z.object({
  name: z.string().min(1),
  namespace: z.string().regex(/^[\w\-.]+$/, 'namespace must be non-empty and match ^[\\w\\-.]+$'),
  base_model: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
  description: z.string().nullish(),
  project: z.string().nullish(),
  schema_version: z.string().nullish(),
  custom_fields: z.record(z.string(), z.unknown()).nullish(),
  spec: z
    .object({
      context_size: optionalInt,
      is_chat: z.boolean().optional(),
      num_parameters: optionalInt,
      num_virtual_tokens: optionalInt,
    })
    .passthrough()
    .nullish(),
  artifact: z
    .object({
      files_url: z.string().optional(),
      status: z.enum(['created', 'upload_failed', 'upload_completed']).optional(),
      tensor_parallelism: optionalInt,
    })
    .passthrough()
    .nullish(),
  api_endpoint: z.object({ model_id: z.string().optional(), url: z.string().optional() }).passthrough().nullish(),
});

/** The part of the Data Flywheel config.yaml the model checks rely on. */
const DfConfigSchema = z
  .object({
    nims: z
      .array(z.object({ model_name: z.string().min(1, 'must be a non-empty model id') }).passthrough())
      .min(1, 'is empty: the flywheel refuses to start without NIMs')
      .optional(),
  })
  .passthrough();

export interface ModelSource {
  model: string;
  from: string[];
}

/** Base models from df-config nims[].model_name, NIMService status.model.name and configured extras. */
export function baseModels(snapshot: Snapshot, config: ModelsConfig): { models: ModelSource[]; problems: string[] } {
  const byModel = new Map<string, Set<string>>();
  const problems: string[] = [];
  const add = (m: unknown, from: string) => {
    if (typeof m !== 'string' || !m.trim()) return;
    const set = byModel.get(m.trim()) ?? new Set<string>();
    set.add(from);
    byModel.set(m.trim(), set);
  };
  const { configMap, configKey } = config.dataFlywheel;
  const raw = snapshot.find('configmaps', configMap)?.data?.[configKey];
  if (raw !== undefined) {
    let doc: unknown;
    try {
      doc = parseYaml(raw);
    } catch (e) {
      problems.push(
        `ConfigMap ${configMap} key ${configKey} is not valid YAML: ${(e as Error).message.split('\n')[0]}`,
      );
    }
    if (doc !== undefined) {
      const parsed = DfConfigSchema.safeParse(doc ?? {});
      if (!parsed.success)
        problems.push(
          `ConfigMap ${configMap} ${configKey}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(document)'} ${i.message}`).join('; ')}`,
        );
      else for (const n of parsed.data.nims ?? []) add(n.model_name, `${configMap} nims[].model_name`);
    }
  }
  if (!snapshot.notInstalled('nimservices'))
    for (const nim of snapshot.list('nimservices')) add(nim.status?.model?.name, `NIMService ${nim.metadata?.name}`);
  for (const m of config.dataFlywheel.extraModels) add(m, 'configuration');
  return { models: [...byModel].map(([model, from]) => ({ model, from: [...from] })), problems };
}

/** What one `GET /v1/models/<model>` answered (or the network error). */
export interface ModelAnswer {
  model: string;
  url: string;
  status?: number;
  contentType?: string;
  body?: string;
  networkError?: string;
}

/**
 * Problems of one answer under the evaluator's rules, empty when fine: 200 JSON whose namespace
 * matches ^[\w\-.]+$ and whose namespace/name is the model id (or whose api_endpoint.model_id is).
 */
export function judgeAnswer(a: ModelAnswer): string[] {
  if (a.networkError) return [`request failed: ${a.networkError}`];
  if (a.status !== 200) return [`HTTP ${a.status}`];
  if (!/json/i.test(a.contentType ?? '')) return [`content type is ${a.contentType || 'missing'}, not JSON`];
  let body: unknown;
  try {
    body = JSON.parse(a.body ?? '');
  } catch {
    return ['the body is not valid JSON'];
  }
  const parsed = EntityStoreModelSchema.safeParse(body);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
  const id = `${parsed.data.namespace}/${parsed.data.name}`;
  if (id !== a.model && parsed.data.api_endpoint?.model_id !== a.model)
    return [`namespace/name is "${id}", not the model id "${a.model}" (and no api_endpoint.model_id says it is)`];
  return [];
}

const networkErrorOf = (e: unknown) => {
  const err = e as Error & { code?: string };
  return err.code === 'ETIMEDOUT' ? `${err.message} (asked twice)` : (err.code ?? err.message);
};

/** GET <base><path>: status, content type and the first 4 KiB of the body, or the network error. */
export async function fetchAnswer(
  base: string,
  path: string,
  signal?: AbortSignal,
): Promise<Omit<ModelAnswer, 'model'>> {
  const url = `${base}${path}`;
  try {
    const res = await httpGet(url, { timeoutMs: 5000, signal });
    return { url, status: res.status, contentType: res.contentType, body: res.body };
  } catch (e) {
    if (signal?.aborted) throw e;
    return { url, networkError: networkErrorOf(e) };
  }
}

export const probeModels = (base: string, models: string[], signal?: AbortSignal): Promise<ModelAnswer[]> =>
  Promise.all(models.map(async (model) => ({ model, ...(await fetchAnswer(base, `/v1/models/${model}`, signal)) })));

const MODEL_ID = /^[\w\-.]+\/[\w\-.@:+]+$/;
/** A model id the Entity Store can hold: <namespace>/<name>, namespace matching ^[\w\-.]+$. */
export const isModelId = (model: string) => MODEL_ID.test(model);

/** The `POST /v1/models` body registering a base NIM (real-stack.md §2). */
export function registrationBody(model: string, from: string[]) {
  const [namespace, ...rest] = model.split('/');
  return {
    name: rest.join('/'),
    namespace: namespace!,
    description: `Base model ${model} served by a NIM (found in ${from.join(', ') || 'configuration'}); registered by Flywheel Doctor`,
    artifact: { status: 'upload_completed', files_url: `nim://${model}` },
  };
}

/**
 * Registering one base model as steps the engine executes: its Entity Store namespace (200, 201,
 * 409 and 422 all mean it is there, as the flywheel treats them), then the model (409: already
 * registered, done). `requires` is the permission that stands for sending them.
 */
export function registrationSteps(base: string, model: string, from: string[], requires: AccessQuestion): FixStep[] {
  const body = registrationBody(model, from);
  return [
    {
      kind: 'http',
      label: `create Entity Store namespace ${body.namespace}`,
      method: 'POST',
      url: `${base}/v1/namespaces`,
      body: { id: body.namespace },
      accept: [200, 201, 409, 422],
      reachable: `${base}/v1/namespaces`,
      requires,
    },
    {
      kind: 'http',
      label: `register model ${model}`,
      method: 'POST',
      url: `${base}/v1/models`,
      body,
      accept: [200, 201, 409],
      reachable: `${base}/v1/namespaces`,
      requires,
    },
  ];
}

/**
 * Where the doctor can send the requests the evaluator sends to `raw`: the Service's override
 * (FD_SERVICE_URL_OVERRIDES) when one is set; else in the cluster the URL itself (a bare Service name
 * expanded to the evaluator's namespace, which the doctor's pod may not share); outside it only an
 * external address, as is. Undefined base, with the reason, when it cannot be reached from here.
 */
export function reachableUrl(
  raw: string,
  config: EntityStoreConfig,
  inCluster: boolean,
): { base: string; via: string } | { base: undefined; reason: string } {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { base: undefined, reason: `"${raw}" is not a URL` };
  }
  const origin = `${url.protocol}//${url.host}${url.pathname.replace(/\/$/, '')}`;
  const host = parseServiceHost(url.hostname);
  const service = host?.service;
  const namespace = host?.namespace ?? config.namespace;
  const serviceLike = !!host && (!host.namespace || host.svc || namespace === config.namespace);
  const override =
    serviceLike && namespace === config.namespace && service ? config.serviceUrlOverrides[service] : undefined;
  if (override) return { base: override.replace(/\/$/, ''), via: `FD_SERVICE_URL_OVERRIDES ${service}` };
  if (inCluster) {
    if (serviceLike && !host!.namespace) {
      const expanded = new URL(origin);
      expanded.hostname = `${service}.${config.namespace}.svc.cluster.local`;
      return { base: expanded.toString().replace(/\/$/, ''), via: 'the Service, from inside the cluster' };
    }
    return { base: origin, via: 'the URL itself, from inside the cluster' };
  }
  if (serviceLike || /\.svc(\.cluster\.local)?$/.test(url.hostname))
    return {
      base: undefined,
      reason: `Flywheel Doctor runs outside the cluster and has no address for Service ${service ?? url.hostname} (set FD_SERVICE_URL_OVERRIDES=${service ?? '<service>'}=http://<reachable address>)`,
    };
  return { base: origin, via: 'the URL itself' };
}
