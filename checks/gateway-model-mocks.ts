import './shared/nim-resources';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ConfigOf } from '../lib/config';
import { guardFor, restartPatch, targetOf } from '../lib/engine/plan-helpers';
import type { Snapshot } from '../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding, type PlannedChange } from '../lib/engine/types';
import { jsonPointerEscape, type JsonPatchOp } from '../lib/k8s/client';
import type { KObject } from '../lib/k8s/object';
import { httpGet } from '../lib/http';
import { RESOURCES } from '../lib/k8s/resources';
import { rolloutState, sleep, waitForRollout } from '../lib/k8s/wait';
import { gatewayBase, GatewaySection } from './shared/gateway';
import {
  applyBlockEdits,
  configuredFor,
  describeLocation,
  exactAnswerBlock,
  modelPath,
  readGatewayConfig,
  type Configured,
  type GatewayConfigView,
} from './shared/gateway-config';

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

/** What this check is about: the base models, the gateway, and what its config says for each model. */
export interface MocksSubject {
  models: ModelSource[];
  /** df-config problems that stop the check from knowing the models. */
  problems: string[];
  gatewayUrl: string;
  configMap?: KObject;
  deployment?: KObject;
  /** The config as nginx reads it, or why it cannot be read. */
  view?: GatewayConfigView;
  configError?: string;
  /** When the ConfigMap last changed and when the running gateway pods started (not-loaded evidence). */
  configChangedAt?: string;
  gatewayStartedAt?: string;
}

/** The latest write to an object, from its managedFields (Kubernetes keeps no modification time). */
export function lastChanged(obj: KObject | undefined): string | undefined {
  const times = ((obj?.metadata?.managedFields ?? []) as Array<{ time?: string }>)
    .map((f) => f.time)
    .filter(Boolean) as string[];
  return times.sort().pop();
}

export function locateMocksSubject(snapshot: Snapshot, config: Config): MocksSubject {
  const configMap = snapshot.find('configmaps', config.gateway.configMap);
  const deployment = snapshot.find('deployments', config.gateway.deployment);
  const raw = configMap?.data?.[config.gateway.configKey];
  const read = raw === undefined ? undefined : readGatewayConfig(raw);
  const gatewayPods = snapshot
    .list('pods')
    .filter(
      (p) =>
        p.metadata?.name?.startsWith(`${config.gateway.deployment}-`) &&
        p.status?.phase === 'Running' &&
        !p.metadata?.deletionTimestamp,
    );
  const starts = gatewayPods.map((p) => p.status?.startTime as string | undefined).filter(Boolean) as string[];
  return {
    ...baseModels(snapshot, config),
    gatewayUrl: gatewayBase(config),
    configMap,
    deployment,
    view: read && 'conf' in read ? read : undefined,
    configError:
      read && 'error' in read
        ? read.error
        : raw === undefined && configMap
          ? `key ${config.gateway.configKey} is missing`
          : undefined,
    configChangedAt: lastChanged(configMap),
    gatewayStartedAt: starts.sort()[0],
  };
}

/** One model's verdict: what the running gateway serves against what its ConfigMap configures. */
export type ModelCase =
  | { model: string; case: 'ok' }
  /** Serves a valid answer, but the ConfigMap would not after a restart. */
  | { model: string; case: 'drift'; configured: Configured; problems: string[] }
  | { model: string; case: 'missing'; configured: Configured }
  | { model: string; case: 'shadowed'; configured: Configured & { state: 'shadowed' } }
  | { model: string; case: 'invalid'; configured: Configured & { state: 'answers' }; problems: string[] }
  /** The ConfigMap has a valid answer; the running gateway does not serve it (started before the change). */
  | { model: string; case: 'not-loaded' }
  | { model: string; case: 'unknown-config' };

/** Problems of the answer a configured block would give, as judgeAnswer sees a served one. */
function configuredProblems(model: string, c: Configured): string[] {
  if (c.state !== 'answers')
    return [c.state === 'shadowed' ? 'shadowed by another location' : 'no block for this model'];
  return judgeAnswer({
    model,
    url: 'config',
    status: c.answer.status,
    contentType: c.answer.contentType,
    body: c.answer.body,
  });
}

export function classifyModel(model: string, answer: ModelAnswer, view: GatewayConfigView | undefined): ModelCase {
  const served = judgeAnswer(answer);
  if (!view) return served.length ? { model, case: 'unknown-config' } : { model, case: 'ok' };
  const configured = configuredFor(view, modelPath(model));
  const problems = configuredProblems(model, configured);
  if (!served.length) return problems.length ? { model, case: 'drift', configured, problems } : { model, case: 'ok' };
  if (!problems.length) return { model, case: 'not-loaded' };
  if (configured.state === 'shadowed') return { model, case: 'shadowed', configured };
  if (configured.state === 'answers') return { model, case: 'invalid', configured, problems };
  return { model, case: 'missing', configured };
}

export function classifyAll(subject: MocksSubject, probe: MockProbe): ModelCase[] {
  return probe.answers.map((a) => classifyModel(a.model, a, subject.view));
}

function caseSentence(c: ModelCase, subject: MocksSubject): string {
  const view = subject.view!;
  switch (c.case) {
    case 'missing':
      return `no block answers for ${c.model} (nginx sends it to ${describeLocation(view, c.configured.state === 'missing' ? c.configured.winner : undefined)})`;
    case 'shadowed':
      return `the block for ${c.model} (${describeLocation(view, c.configured.block)}) is shadowed by ${describeLocation(view, c.configured.winner)}: nginx never serves it`;
    case 'invalid':
      return `the block for ${c.model} (${describeLocation(view, c.configured.block)}) answers invalid model metadata: ${c.problems.join('; ')}`;
    case 'not-loaded': {
      const when =
        subject.configChangedAt && subject.gatewayStartedAt
          ? ` (the ConfigMap changed at ${subject.configChangedAt}, the gateway pod started at ${subject.gatewayStartedAt})`
          : '';
      return `the ConfigMap has a valid block for ${c.model}, but the running gateway has not loaded it${when}: nginx reads its config only at start`;
    }
    case 'unknown-config':
      return `the gateway does not answer valid metadata for ${c.model}, and its config cannot be read (${subject.configError ?? 'no ConfigMap'})`;
    case 'drift':
      return `the running gateway answers for ${c.model}, but its ConfigMap would not after a restart (${c.problems.join('; ')})`;
    default:
      return '';
  }
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
  if (subject.configError)
    evidence.push({ label: `ConfigMap ${config.gateway.configMap}`, value: subject.configError, tone: 'bad' });
  const cases = classifyAll(subject, probe);
  for (const a of probe.answers) {
    const issues = judgeAnswer(a);
    const c = cases.find((x) => x.model === a.model)!;
    const src = models.find((m) => m.model === a.model)?.from.join(', ') ?? '';
    const configured = c.case === 'ok' ? 'configured: valid' : `configured: ${caseSentence(c, subject)}`;
    evidence.push({
      label: `GET /v1/models/${a.model}`,
      value: `${a.networkError ? a.networkError : `HTTP ${a.status} ${a.contentType ?? ''}`}${issues.length ? `\nproblems: ${issues.join('; ')}` : '\nvalid Entity Store model answer'}\n${configured}\nfrom: ${src}${a.body ? `\nbody: ${truncate(a.body)}` : ''}`,
      tone: c.case === 'ok' ? 'good' : 'bad',
      code: true,
    });
  }
  const failing = cases.filter((c) => c.case !== 'ok' && c.case !== 'drift');
  const drifting = cases.filter((c) => c.case === 'drift');
  const manualFix = manualFixFor(cases, config);
  if (failing.length) {
    return {
      status: 'fail',
      summary: `Base-model evaluations fail: ${failing.map((c) => caseSentence(c, subject)).join('; ')}`,
      evidence,
      manualFix,
    };
  }
  if (drifting.length) {
    return {
      status: 'warn',
      summary: `Works until the next gateway restart: ${drifting.map((c) => caseSentence(c, subject)).join('; ')}`,
      evidence,
      manualFix,
    };
  }
  return {
    status: 'pass',
    summary: `The gateway answers valid model metadata for ${models.map((m) => m.model).join(', ')}`,
    evidence,
  };
}

// ---------------------------------------------------------------- the fix: generated nginx config

const MODEL_ID = /^[\w\-.]+\/[\w\-.@:]+$/;

/** The Entity Store model object a mock answers for one base model. */
export function mockModelJson(model: string): string {
  if (!MODEL_ID.test(model))
    throw new Error(
      `cannot generate a mock for "${model}": a model id must be <namespace>/<name> with letters, digits, -, _, . only`,
    );
  const [ns, ...rest] = model.split('/');
  return JSON.stringify({
    name: rest.join('/'),
    namespace: ns,
    description: `Base model ${model} (mock Entity Store answer served by nemo-gateway; added by Flywheel Doctor)`,
    spec: { num_parameters: 0, context_size: 8192, num_virtual_tokens: 0, is_chat: true },
    artifact: {},
    base_model: model,
    schema_version: '1.0',
    project: '',
    custom_fields: {},
  });
}

/** The exact-match block answering the Entity Store lookup for one base model (it wins over any regex). */
export function mockLocationBlock(model: string, indent = '    '): string {
  return `${indent}${exactAnswerBlock(modelPath(model), mockModelJson(model), `Mock Entity Store answer for base NIM ${model} (added by Flywheel Doctor)`, indent)}`;
}

/** Which models need a config edit; the others of a failing run need only a restart. */
const needsEdit = (c: ModelCase) =>
  c.case === 'missing' || c.case === 'shadowed' || c.case === 'invalid' || c.case === 'drift';

/** The ConfigMap text with exactly one winning, valid block per model that needs one. */
export function editedConfig(view: GatewayConfigView, models: string[]): string {
  return applyBlockEdits(
    view,
    models.map((m) => ({
      path: modelPath(m),
      build: (indent) =>
        exactAnswerBlock(
          modelPath(m),
          mockModelJson(m),
          `Mock Entity Store answer for base NIM ${m} (added by Flywheel Doctor)`,
          indent,
        ),
    })),
  );
}

function manualFixFor(cases: ModelCase[], config: Config): string[] {
  const ns = config.namespace;
  const { configMap, deployment, service } = config.gateway;
  const edits = cases.filter(needsEdit).map((c) => {
    const block = `location = ${modelPath(c.model)} { default_type application/json; return 200 '${mockModelJson(c.model)}'; }`;
    if (c.case === 'shadowed')
      return `oc edit configmap ${configMap} -n ${ns}   # turn the block for ${c.model} into an exact match (exact matches win over every regex): ${block}`;
    if (c.case === 'invalid' || c.case === 'drift')
      return `oc edit configmap ${configMap} -n ${ns}   # replace the block for ${c.model} with: ${block}`;
    return `oc edit configmap ${configMap} -n ${ns}   # add inside the server block (an exact match wins wherever it sits): ${block}`;
  });
  return [
    ...edits,
    `oc rollout restart deployment/${deployment} -n ${ns} && oc rollout status deployment/${deployment} -n ${ns}   # nginx reads its config only at start`,
    ...cases
      .filter((c) => c.case !== 'ok')
      .map(
        (c) =>
          `oc run curl-test --rm -i --restart=Never --image=curlimages/curl -n ${ns} -- curl -s http://${service}${modelPath(c.model)}`,
      ),
  ];
}

interface MocksPlanData {
  ops: JsonPatchOp[];
  models: string[];
  restart: boolean;
}

/** GET /v1/models/<model> on the gateway: status, content type and the first 4 KiB of the body. */
async function fetchModel(base: string, model: string, signal?: AbortSignal): Promise<ModelAnswer> {
  const url = `${base}/v1/models/${model}`;
  try {
    const res = await httpGet(url, { timeoutMs: 5000, signal });
    return { model, url, status: res.status, contentType: res.contentType, body: res.body };
  } catch (e) {
    if (signal?.aborted) throw e;
    const err = e as Error & { code?: string };
    return { model, url, networkError: err.code === 'ETIMEDOUT' ? 'timed out after 5 s' : (err.code ?? err.message) };
  }
}

const probeModels = (base: string, models: string[], signal?: AbortSignal) =>
  Promise.all(models.map((m) => fetchModel(base, m, signal)));

export default defineCheck<typeof sections, MocksSubject, MockProbe, MocksPlanData>({
  id: 'gateway-model-mocks',
  title: 'Gateway answers model metadata for every base model',
  area: 'Gateway',
  config: sections,
  needs: ['configmaps', 'nimservices', 'deployments', 'pods'],
  explain: {
    symptom:
      'Base-model evaluations fail with 404 for /v1/models/<namespace>/<model> even though ENTITY_STORE_URL points at the gateway.',
    rootCause:
      'Base NIMs are not registered in the Entity Store. The nemo-gateway answers for them with a mock `location` per model; a model without one (a new NIM, a local judge) falls through to the catch-all 404, a mock placed after a broader regex is never served, and a changed ConfigMap is served only after the gateway restarts.',
    manualFix: (c) => [
      `oc edit configmap ${c.gateway.configMap} -n ${c.namespace}   # add inside the server block: location = /v1/models/<ns>/<name> { default_type application/json; return 200 '{"name":"<name>","namespace":"<ns>","base_model":"<ns>/<name>",...}'; }   (an exact match wins over any regex)`,
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
      'Give each failing base model exactly one exact-match mock location (added, or replacing a shadowed or invalid block in place) in the gateway ConfigMap, restart the gateway so nginx loads it, and re-check over HTTP; when the ConfigMap is already right, only restart.',
    available({ subject, probe, config }) {
      if (!subject.configMap)
        return { reason: `ConfigMap ${config.gateway.configMap} does not exist; set gateway.configMap` };
      if (!subject.deployment)
        return { reason: `Deployment ${config.gateway.deployment} does not exist; set gateway.deployment` };
      if (!subject.view) return { reason: subject.configError ?? 'the gateway config cannot be read' };
      const bad = classifyAll(subject, probe)
        .filter(needsEdit)
        .map((c) => c.model)
        .filter((m) => !MODEL_ID.test(m));
      if (bad.length)
        return { reason: `${bad.join(', ')} is not a <namespace>/<name> model id a mock can be generated for` };
      if (!subject.view.server && !subject.view.locations.length)
        return { reason: 'nginx.conf has no server block to add a location to' };
      return true;
    },
    permissions: (c) => [
      { verb: 'patch', group: '', resource: 'configmaps', namespace: c.namespace, name: c.gateway.configMap },
      { verb: 'patch', group: 'apps', resource: 'deployments', namespace: c.namespace, name: c.gateway.deployment },
    ],
    plan({ subject, probe, config }) {
      const cases = classifyAll(subject, probe);
      const cm = subject.configMap!;
      const dep = subject.deployment!;
      const { guard, test } = guardFor('ConfigMap', cm);
      const failing = cases.filter((c) => c.case !== 'ok');
      if (!failing.length) {
        return {
          noop: true,
          summary: 'Every base model already has a valid mock',
          changes: [],
          risks: [],
          guards: [guard],
          data: { ops: [], models: [], restart: false },
        };
      }
      const edit = cases.filter(needsEdit).map((c) => c.model);
      const conf = subject.view!.conf;
      const next = edit.length ? editedConfig(subject.view!, edit) : conf;
      const key = jsonPointerEscape(config.gateway.configKey);
      // Guarded on the ConfigMap's resourceVersion and its exact text (so on the exact blocks replaced).
      const ops: JsonPatchOp[] = edit.length
        ? [
            test,
            { op: 'test', path: `/data/${key}`, value: conf },
            { op: 'replace', path: `/data/${key}`, value: next },
          ]
        : [];
      const restart = failing.some((c) => c.case !== 'drift');
      const changes: PlannedChange[] = [];
      if (edit.length) {
        changes.push({
          target: targetOf('ConfigMap', cm),
          action: 'patch',
          description: `${config.gateway.configKey}: one exact-match block for ${edit.join(', ')}`,
          before: conf,
          after: next,
          patch: ops,
        });
      }
      if (restart)
        changes.push({
          target: targetOf('Deployment', dep),
          action: 'restart',
          description: 'rollout restart so nginx loads the config',
        });
      const what = [
        edit.length ? `Give ${edit.join(', ')} an exact-match mock in ConfigMap ${config.gateway.configMap}` : '',
        restart ? `restart ${config.gateway.deployment}` : '',
      ]
        .filter(Boolean)
        .join(' and ');
      return {
        noop: false,
        summary: edit.length
          ? what
          : `Only restart ${config.gateway.deployment}: the ConfigMap is already right (${failing.map((c) => c.model).join(', ')} not loaded)`,
        changes,
        risks: restart
          ? [
              `Restarts the gateway (${config.gateway.deployment}); requests in flight through it may fail during the rollout.`,
            ]
          : [],
        guards: [guard, guardFor('Deployment', dep).guard],
        data: { ops, models: failing.map((c) => c.model), restart },
      };
    },
    async readBack({ reader, config, signal }, plan) {
      const state: Array<{ step: string; done: boolean }> = [];
      const replace = plan.data.ops.find((o) => o.op === 'replace');
      const next = replace && 'value' in replace ? replace.value : undefined;
      let changedAt: string | undefined;
      if (next !== undefined) {
        const cm = await reader.get<KObject>(RESOURCES.configmaps, config.namespace, config.gateway.configMap, {
          signal,
        });
        state.push({
          step: `ConfigMap ${config.gateway.configMap} holds the new blocks`,
          done: cm.data?.[config.gateway.configKey] === next,
        });
        changedAt = lastChanged(cm);
      }
      if (plan.data.restart) {
        const d = await reader.get<KObject>(RESOURCES.deployments, config.namespace, config.gateway.deployment, {
          signal,
        });
        const restartedAt: string | undefined =
          d.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];
        const after = !!restartedAt && (!changedAt || restartedAt >= changedAt);
        state.push({
          step: `${config.gateway.deployment} restarted after the change and rolled out`,
          done: after && rolloutState(d).done,
        });
      }
      return state;
    },
    async apply({ subject, actor, reader, config, dryRun, progress, signal }, plan) {
      const { namespace } = config;
      const { deployment: name } = config.gateway;
      if (plan.data.ops.length) {
        await actor.jsonPatch(RESOURCES.configmaps, namespace, config.gateway.configMap, plan.data.ops, { dryRun });
        if (!dryRun) progress(`updated ConfigMap ${config.gateway.configMap}`);
      }
      if (!plan.data.restart) return;
      const dep = await reader.get<KObject>(RESOURCES.deployments, namespace, name, { signal });
      await actor.jsonPatch(RESOURCES.deployments, namespace, name, restartPatch(dep), { dryRun });
      if (dryRun) return;
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
