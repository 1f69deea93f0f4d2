import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ConfigOf } from '../lib/config';
import { guardFor, restartPatch, targetOf } from '../lib/engine/plan-helpers';
import type { Snapshot } from '../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding } from '../lib/engine/types';
import { jsonPointerEscape, type JsonPatchOp } from '../lib/k8s/client';
import type { KObject } from '../lib/k8s/object';
import { RESOURCES } from '../lib/k8s/resources';
import { sleep, waitForRollout } from '../lib/k8s/wait';
import { gatewayBase, GatewaySection } from './shared/gateway';

/** Where the flywheel's config names its base models, and models checked beyond those. */
export const DataFlywheelSection = z
  .object({
    configMap: z.string().default('df-config'),
    configKey: z.string().default('config.yaml'),
    /** Base models checked beyond those found in df-config and NIMServices. */
    extraModels: z.array(z.string()).default([]),
  })
  .prefault({});

const sections = { gateway: GatewaySection, dataFlywheel: DataFlywheelSection };
type Config = ConfigOf<typeof sections>;

/** The Entity Store model answer the evaluator needs (domain.md §5). */
export const EntityStoreModelSchema = z.object({
  name: z.string().min(1),
  namespace: z.string().regex(/^[\w\-.]+$/, 'namespace must be non-empty and match ^[\\w\\-.]+$'),
  base_model: z.string().optional(),
  description: z.string().optional(),
  spec: z.record(z.string(), z.unknown()).optional(),
  artifact: z.record(z.string(), z.unknown()).optional(),
  schema_version: z.string().optional(),
});

/** The part of the Data Flywheel config.yaml this check relies on. */
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
export function baseModels(snapshot: Snapshot, config: Config): { models: ModelSource[]; problems: string[] } {
  const byModel = new Map<string, Set<string>>();
  const problems: string[] = [];
  const add = (m: unknown, from: string) => {
    if (typeof m !== 'string' || !m.trim()) return;
    const set = byModel.get(m.trim()) ?? new Set<string>();
    set.add(from);
    byModel.set(m.trim(), set);
  };
  const cm = snapshot.find('configmaps', config.dataFlywheel.configMap);
  const raw = cm?.data?.[config.dataFlywheel.configKey];
  if (raw !== undefined) {
    let doc: unknown;
    try {
      doc = parseYaml(raw);
    } catch (e) {
      problems.push(
        `ConfigMap ${config.dataFlywheel.configMap} key ${config.dataFlywheel.configKey} is not valid YAML: ${(e as Error).message.split('\n')[0]}`,
      );
    }
    if (doc !== undefined) {
      const parsed = DfConfigSchema.safeParse(doc ?? {});
      if (!parsed.success)
        problems.push(
          `ConfigMap ${config.dataFlywheel.configMap} ${config.dataFlywheel.configKey}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(document)'} ${i.message}`).join('; ')}`,
        );
      else
        for (const n of parsed.data.nims ?? []) add(n.model_name, `${config.dataFlywheel.configMap} nims[].model_name`);
    }
  }
  if (!snapshot.notInstalled('nimservices'))
    for (const nim of snapshot.list('nimservices')) add(nim.status?.model?.name, `NIMService ${nim.metadata?.name}`);
  for (const m of config.dataFlywheel.extraModels) add(m, 'configuration');
  return { models: [...byModel].map(([model, from]) => ({ model, from: [...from] })), problems };
}

export interface ModelAnswer {
  model: string;
  url: string;
  status?: number;
  contentType?: string;
  body?: string;
  networkError?: string;
}

export type MockProbe = { answers: ModelAnswer[] };

const unreachable = (probe: MockProbe) => probe.answers.length > 0 && probe.answers.every((a) => a.networkError);

/** Judges one answer against the rules the evaluator applies. Returns problems, empty when fine. */
export function judgeAnswer(a: ModelAnswer): string[] {
  if (a.networkError) return [`request failed: ${a.networkError}`];
  if (a.status !== 200)
    return [`HTTP ${a.status}${a.status === 404 ? ' (falls through to the catch-all: no mock for this model)' : ''}`];
  if (!/json/i.test(a.contentType ?? '')) return [`content type is ${a.contentType || 'missing'}, not JSON`];
  let body: unknown;
  try {
    body = JSON.parse(a.body ?? '');
  } catch {
    return ['the body is not valid JSON'];
  }
  const parsed = EntityStoreModelSchema.safeParse(body);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
  const problems: string[] = [];
  const id = `${parsed.data.namespace}/${parsed.data.name}`;
  if (id !== a.model) problems.push(`namespace/name is "${id}", not the model id "${a.model}"`);
  if (parsed.data.base_model !== a.model)
    problems.push(`base_model is "${parsed.data.base_model ?? '(missing)'}", not "${a.model}"`);
  return problems;
}

const truncate = (s: string, n = 600) => (s.length > n ? `${s.slice(0, n)}… (${s.length} bytes)` : s);

/** What this check is about: the base models, the gateway and its config. */
export interface MocksSubject {
  models: ModelSource[];
  /** df-config problems that stop the check from knowing the models. */
  problems: string[];
  gatewayUrl: string;
  configMap?: KObject;
  deployment?: KObject;
}

export function locateMocksSubject(snapshot: Snapshot, config: Config): MocksSubject {
  return {
    ...baseModels(snapshot, config),
    gatewayUrl: gatewayBase(config),
    configMap: snapshot.find('configmaps', config.gateway.configMap),
    deployment: snapshot.find('deployments', config.gateway.deployment),
  };
}

export function judgeMocks(subject: MocksSubject, probe: MockProbe, config: Config): Finding {
  const { models, problems } = subject;
  const evidence: Evidence[] = [{ label: 'Gateway', value: subject.gatewayUrl }];
  if (problems.length) return { status: 'error', summary: problems.join('; '), evidence };
  if (!models.length) {
    return {
      status: 'skipped',
      summary: `No base models found (df-config nims[].model_name, NIMService status.model.name); add them to dataFlywheel.extraModels to check them`,
      evidence,
    };
  }
  if (unreachable(probe)) {
    return {
      status: 'error',
      summary: `Cannot reach the gateway at ${subject.gatewayUrl}: ${probe.answers[0]!.networkError}. Running outside the cluster? Set gateway.url or FD_SERVICE_URL_OVERRIDES=${config.gateway.service}=http://<reachable address>`,
      evidence,
    };
  }
  const bad: string[] = [];
  for (const a of probe.answers) {
    const issues = judgeAnswer(a);
    const src = models.find((m) => m.model === a.model)?.from.join(', ') ?? '';
    evidence.push({
      label: `GET /v1/models/${a.model}`,
      value: `${a.networkError ? a.networkError : `HTTP ${a.status} ${a.contentType ?? ''}`}${issues.length ? `\nproblems: ${issues.join('; ')}` : '\nvalid Entity Store model answer'}\nfrom: ${src}${a.body ? `\nbody: ${truncate(a.body)}` : ''}`,
      tone: issues.length ? 'bad' : 'good',
      code: true,
    });
    if (issues.length) bad.push(a.model);
  }
  if (bad.length)
    return {
      status: 'fail',
      summary: `The gateway has no valid mock for ${bad.join(', ')}: evaluations of ${bad.length === 1 ? 'this base model' : 'these base models'} fail`,
      evidence,
    };
  return {
    status: 'pass',
    summary: `The gateway answers valid model metadata for ${models.map((m) => m.model).join(', ')}`,
    evidence,
  };
}

// ---------------------------------------------------------------- the fix: generated nginx config

const MODEL_ID = /^[\w\-.]+\/[\w\-.@:]+$/;

function regexEscape(s: string) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A `location` block answering the Entity Store lookup for one base model. */
export function mockLocationBlock(model: string): string {
  if (!MODEL_ID.test(model))
    throw new Error(
      `cannot generate a mock for "${model}": a model id must be <namespace>/<name> with letters, digits, -, _, . only`,
    );
  const [ns, ...rest] = model.split('/');
  const name = rest.join('/');
  const body = JSON.stringify({
    name,
    namespace: ns,
    description: `Base model ${model} (mock Entity Store answer served by nemo-gateway; added by Flywheel Doctor)`,
    spec: { num_parameters: 0, context_size: 8192, num_virtual_tokens: 0, is_chat: true },
    artifact: {},
    base_model: model,
    schema_version: '1.0',
    project: '',
    custom_fields: {},
  });
  // nginx single-quoted string: escape backslash and quote; `$` would start a variable, and our
  // validated ids and fixed text contain none.
  const nginxString = body.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  return [
    `    # Mock Entity Store answer for base NIM ${model} (added by Flywheel Doctor)`,
    `    location ~ ^/v1/models/${regexEscape(model)}$ {`,
    '      default_type application/json;',
    `      return 200 '${nginxString}';`,
    '    }',
  ].join('\n');
}

/** Inserts mock blocks before the catch-all `location /`; throws when there is none to anchor on. */
export function insertMocks(conf: string, models: string[]): string {
  const lines = conf.split('\n');
  const idx = lines.findIndex((l) => /^\s*location\s+\/\s*\{/.test(l));
  if (idx < 0)
    throw new Error(
      'nginx.conf has no catch-all "location / {" block to insert the mocks before; add the mock locations by hand (see the manual steps)',
    );
  // Keep a comment directly above the catch-all attached to it.
  let at = idx;
  while (at > 0 && /^\s*#/.test(lines[at - 1]!)) at--;
  const blocks = models.map(mockLocationBlock);
  return [...lines.slice(0, at), ...blocks, ...lines.slice(at)].join('\n');
}

async function fetchModel(base: string, model: string, signal?: AbortSignal): Promise<ModelAnswer> {
  const url = `${base}/v1/models/${model}`;
  try {
    const timeout = AbortSignal.timeout(5000);
    const res = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, redirect: 'manual' });
    const text = await res.text();
    return {
      model,
      url,
      status: res.status,
      contentType: res.headers.get('content-type') ?? undefined,
      body: text.slice(0, 4096),
    };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    return {
      model,
      url,
      networkError: err.name === 'TimeoutError' ? 'timed out after 5 s' : (err.cause?.code ?? err.message),
    };
  }
}

interface MocksPlanData {
  ops: JsonPatchOp[];
  models: string[];
}

const probeModels = (base: string, models: string[], signal?: AbortSignal) =>
  Promise.all(models.map((m) => fetchModel(base, m, signal)));

export default defineCheck<typeof sections, MocksSubject, MockProbe, MocksPlanData>({
  id: 'gateway-model-mocks',
  title: 'Gateway answers model metadata for every base model',
  area: 'Gateway',
  config: sections,
  needs: ['configmaps', 'nimservices', 'deployments'],
  explain: {
    symptom:
      'Base-model evaluations fail with 404 for /v1/models/<namespace>/<model> even though ENTITY_STORE_URL points at the gateway.',
    rootCause:
      'Base NIMs are not registered in the Entity Store. The nemo-gateway answers for them with a mock `location` per model; a model without one (a new NIM, a local judge) falls through to the catch-all 404.',
    manualFix: (c) => [
      `oc edit configmap ${c.gateway.configMap} -n ${c.namespace}   # add, before "location /": location ~ ^/v1/models/<ns>/<name>$ { default_type application/json; return 200 '{"name":"<name>","namespace":"<ns>","base_model":"<ns>/<name>",...}'; }`,
      `oc rollout restart deployment/${c.gateway.deployment} -n ${c.namespace} && oc rollout status deployment/${c.gateway.deployment} -n ${c.namespace}`,
      `oc run curl-test --rm -i --restart=Never --image=curlimages/curl -n ${c.namespace} -- curl -s http://${c.gateway.service}/v1/models/<ns>/<name>`,
    ],
  },
  locate: locateMocksSubject,
  async probe({ subject, signal }) {
    return {
      answers: await probeModels(
        subject.gatewayUrl,
        subject.models.map((m) => m.model),
        signal,
      ),
    };
  },
  judge: ({ subject, probe, config }) => judgeMocks(subject, probe, config),
  fix: {
    description:
      'Insert a generated mock `location` per missing model into the gateway ConfigMap (before the catch-all), restart the gateway, wait, and re-check over HTTP.',
    permissions: (c) => [
      { verb: 'patch', group: '', resource: 'configmaps', namespace: c.namespace, name: c.gateway.configMap },
      { verb: 'patch', group: 'apps', resource: 'deployments', namespace: c.namespace, name: c.gateway.deployment },
    ],
    plan({ subject, probe, config }) {
      if (unreachable(probe))
        throw new Error(`cannot reach the gateway at ${subject.gatewayUrl} to see which mocks are missing`);
      const missing = probe.answers.filter((a) => judgeAnswer(a).length > 0).map((a) => a.model);
      const { configMap: cm, deployment: dep } = subject;
      if (!cm)
        throw new Error(
          `ConfigMap ${config.gateway.configMap} not found in ${config.namespace}; set gateway.configMap`,
        );
      if (!dep)
        throw new Error(
          `Deployment ${config.gateway.deployment} not found in ${config.namespace}; set gateway.deployment`,
        );
      const conf: string = cm.data?.[config.gateway.configKey] ?? '';
      const { guard, test } = guardFor('ConfigMap', cm);
      if (!missing.length) {
        const data = { ops: [], models: [] };
        return {
          noop: true,
          summary: 'Every base model already has a valid mock',
          changes: [],
          risks: [],
          guards: [guard],
          data,
        };
      }
      // A model whose answer is wrong (not missing) already has a location: editing it is a human decision.
      const already = missing.filter((m) => conf.includes(`/v1/models/${regexEscape(m)}$`));
      if (already.length) {
        throw new Error(
          `the gateway config already has a location for ${already.join(', ')} but its answer is invalid; fix that block by hand (see the evidence for what is wrong)`,
        );
      }
      const next = insertMocks(conf, missing);
      const key = jsonPointerEscape(config.gateway.configKey);
      const ops: JsonPatchOp[] = [
        test,
        { op: 'test', path: `/data/${key}`, value: conf },
        { op: 'replace', path: `/data/${key}`, value: next },
      ];
      return {
        noop: false,
        summary: `Add mock locations for ${missing.join(', ')} to ConfigMap ${config.gateway.configMap} and restart ${config.gateway.deployment}`,
        changes: [
          {
            target: targetOf('ConfigMap', cm),
            action: 'patch',
            description: `${config.gateway.configKey}: add ${missing.length} location block(s) before the catch-all`,
            before: conf,
            after: next,
            patch: ops,
          },
          {
            target: targetOf('Deployment', dep),
            action: 'restart',
            description: 'rollout restart so nginx loads the new config',
          },
        ],
        risks: [
          `Restarts the gateway (${config.gateway.deployment}); requests in flight through it may fail during the rollout.`,
        ],
        guards: [guard],
        data: { ops, models: missing },
      };
    },
    async apply({ subject, actor, reader, config, dryRun, progress, signal }, plan) {
      const { namespace } = config;
      const { deployment: name } = config.gateway;
      await actor.jsonPatch(RESOURCES.configmaps, namespace, config.gateway.configMap, plan.data.ops, { dryRun });
      const dep = await reader.get<KObject>(RESOURCES.deployments, namespace, name, { signal });
      if (dryRun) {
        await actor.jsonPatch(RESOURCES.deployments, namespace, name, restartPatch(dep), { dryRun: true });
        return;
      }
      progress(`updated ConfigMap ${config.gateway.configMap}`);
      await actor.jsonPatch(RESOURCES.deployments, namespace, name, restartPatch(dep));
      progress(`restarting deployment ${name}`);
      await waitForRollout(reader, namespace, name, config.rolloutTimeoutMs, signal, progress);
      // The Service switches to the new pod shortly after it is Ready: wait until the gateway answers.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const answers = await probeModels(subject.gatewayUrl, plan.data.models, signal);
        if (answers.every((a) => judgeAnswer(a).length === 0)) break;
        if (Date.now() > deadline) break; // the verification re-run reports what is still wrong
        await sleep(500, signal);
      }
      progress('gateway rolled out');
    },
  },
});
