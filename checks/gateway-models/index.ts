import type { FixStep } from '../../lib/engine/steps';
import '../shared/nim-resources';
import type { ConfigOf } from '../../lib/config';
import { guardFor, targetOf } from '../../lib/engine/plan-helpers';
import type { Snapshot } from '../../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding, type PlannedChange } from '../../lib/engine/types';
import type { JsonPatchOp } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { rolloutState } from '../../lib/k8s/wait';
import {
  baseModels,
  DataFlywheelSection,
  entityStoreBase,
  EntityStoreSection,
  fetchAnswer,
  isModelId,
  judgeAnswer,
  probeModels,
  registrationSteps,
  registrationBody,
  type ModelAnswer,
  type ModelSource,
} from '../shared/entity-store';
import { gatewayBase, gatewayEditSteps, gatewayLoad, GatewaySection, lastChanged } from '../shared/gateway';
import {
  applyBlockEdits,
  catchAllBody,
  configuredFor,
  describeLocation,
  exactAnswerBlock,
  generationOf,
  modelPath,
  proxyTarget,
  readGatewayConfig,
  type Configured,
  type GatewayConfigView,
  type Generation,
  configTextPatch,
} from '../shared/gateway-config';

const sections = { gateway: GatewaySection, dataFlywheel: DataFlywheelSection, entityStore: EntityStoreSection };
type Config = ConfigOf<typeof sections>;

/** The three answers that tell the failures apart (real-stack.md §2), plus one per model. */
export interface GatewayProbe {
  /** GET /healthz on the gateway: is nginx up at all. */
  health?: Omit<ModelAnswer, 'model'>;
  /** GET /v1/namespaces through the gateway: does it reach the Entity Store. */
  namespaces?: Omit<ModelAnswer, 'model'>;
  /** GET /health on the Entity Store itself, bypassing nginx (when the doctor can reach it). */
  entityStoreHealth?: Omit<ModelAnswer, 'model'>;
  answers: ModelAnswer[];
}

const unreachable = (probe: GatewayProbe) => probe.answers.length > 0 && probe.answers.every((a) => a.networkError);
const answersJson = (a: Omit<ModelAnswer, 'model'> | undefined) =>
  !!a && a.status === 200 && /json/i.test(a.contentType ?? '');
const describeAnswer = (a: Omit<ModelAnswer, 'model'> | undefined) =>
  !a ? 'not asked' : a.networkError ? a.networkError : `HTTP ${a.status}${a.body ? `: ${truncate(a.body, 160)}` : ''}`;

const truncate = (s: string, n = 600) => (s.length > n ? `${s.slice(0, n)}… (${s.length} bytes)` : s);

/** What this check is about: the base models, the gateway, and what its config says for each model. */
export interface GatewaySubject {
  models: ModelSource[];
  /** df-config problems that stop the check from knowing the models. */
  problems: string[];
  gatewayUrl: string;
  /** The Entity Store's own address, for the cross-check that bypasses nginx. */
  entityStoreUrl: string;
  configMap?: KObject;
  deployment?: KObject;
  /** The config as nginx reads it, or why it cannot be read. */
  view?: GatewayConfigView;
  configError?: string;
  generation?: Generation;
  /** The block that takes model paths in general (the proxy in the proxy generation). */
  modelRoute?: string;
  /** What the catch-all answers: a model served this body has no route in the running config. */
  catchAll?: string;
  /** When the ConfigMap last changed and when the running gateway pods started (not-loaded evidence). */
  configChangedAt?: string;
  gatewayStartedAt?: string;
}

export function locateGatewaySubject(snapshot: Snapshot, config: Config): GatewaySubject {
  const configMap = snapshot.find('configmaps', config.gateway.configMap);
  const deployment = snapshot.find('deployments', config.gateway.deployment);
  const raw = configMap?.data?.[config.gateway.configKey];
  const read = raw === undefined ? undefined : readGatewayConfig(raw);
  const view = read && 'conf' in read ? read : undefined;
  const load = gatewayLoad(snapshot, config, configMap);
  const gen = view ? generationOf(view) : undefined;
  return {
    ...baseModels(snapshot, config),
    gatewayUrl: gatewayBase(config),
    entityStoreUrl: entityStoreBase(config),
    configMap,
    deployment,
    view,
    configError:
      read && 'error' in read
        ? read.error
        : raw === undefined && configMap
          ? `key ${config.gateway.configKey} is missing`
          : undefined,
    generation: gen?.generation,
    modelRoute:
      view && gen?.modelRoute
        ? `${describeLocation(view, gen.modelRoute)}${proxyTarget(gen.modelRoute) ? ` -> ${proxyTarget(gen.modelRoute)}` : ''}`
        : undefined,
    catchAll: view ? catchAllBody(view) : undefined,
    configChangedAt: load.configChangedAt,
    gatewayStartedAt: load.gatewayStartedAt,
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
  /** The ConfigMap answers (a valid block, or a proxy); the running gateway does not (started before the change). */
  | { model: string; case: 'not-loaded' }
  | { model: string; case: 'unknown-config' }
  /** Proxied to the Entity Store, which answers 404 while it answers /v1/namespaces: not registered. */
  | { model: string; case: 'unregistered' }
  /** Proxied, and the Entity Store's record is not one the evaluator accepts. */
  | { model: string; case: 'invalid-record'; problems: string[] }
  /** Proxied, and the gateway does not get an answer from the Entity Store (5xx, or /v1/namespaces fails). */
  | { model: string; case: 'upstream'; answer: string };

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

/** What the running gateway answered beyond a model's own lookup, used to tell the failures apart. */
export interface ServedContext {
  /** GET /v1/namespaces through the gateway answered 200 JSON: the gateway reaches the Entity Store. */
  entityStoreReachable: boolean;
  catchAll?: string;
}

export function classifyModel(
  model: string,
  answer: ModelAnswer,
  view: GatewayConfigView | undefined,
  ctx: ServedContext = { entityStoreReachable: true },
): ModelCase {
  const served = judgeAnswer(answer);
  if (!view) return served.length ? { model, case: 'unknown-config' } : { model, case: 'ok' };
  const configured = configuredFor(view, modelPath(model));
  const proxied = configured.state === 'missing' && configured.winner && proxyTarget(configured.winner);
  if (proxied) {
    if (!served.length) return { model, case: 'ok' };
    const body = answer.body?.trim();
    // The catch-all's own body: the running nginx has no route for it, so it is not running this config.
    if (answer.status === 404 && ctx.catchAll !== undefined && body === ctx.catchAll.trim())
      return { model, case: 'not-loaded' };
    if (answer.status === 200) return { model, case: 'invalid-record', problems: served };
    if (answer.status === 404 && ctx.entityStoreReachable) return { model, case: 'unregistered' };
    return { model, case: 'upstream', answer: describeAnswer(answer) };
  }
  const problems = configuredProblems(model, configured);
  if (!served.length) return problems.length ? { model, case: 'drift', configured, problems } : { model, case: 'ok' };
  if (!problems.length) return { model, case: 'not-loaded' };
  if (configured.state === 'shadowed') return { model, case: 'shadowed', configured };
  if (configured.state === 'answers') return { model, case: 'invalid', configured, problems };
  return { model, case: 'missing', configured };
}

export function classifyAll(subject: GatewaySubject, probe: GatewayProbe): ModelCase[] {
  const ctx: ServedContext = { entityStoreReachable: answersJson(probe.namespaces), catchAll: subject.catchAll };
  return probe.answers.map((a) => classifyModel(a.model, a, subject.view, ctx));
}

/**
 * Which part of gateway -> Entity Store is broken, from the cross-check that bypasses nginx: the
 * Entity Store answering directly puts the fault in nginx's resolver or upstream address.
 */
export function brokenPart(subject: GatewaySubject, probe: GatewayProbe, config: Config): string {
  const direct = probe.entityStoreHealth;
  const via = `GET /v1/namespaces through the gateway: ${describeAnswer(probe.namespaces)}`;
  const route = subject.modelRoute ? ` (${subject.modelRoute})` : '';
  if (direct && direct.status === 200)
    return `${via}; the Entity Store answers directly at ${subject.entityStoreUrl}, so the broken part is nginx's way to it: its resolver or the upstream address${route}`;
  if (direct?.networkError && /ENOTFOUND|EAI_AGAIN/.test(direct.networkError))
    return `${via}; the Entity Store could not be asked directly (${subject.entityStoreUrl}: ${direct.networkError}; outside the cluster set FD_SERVICE_URL_OVERRIDES=${config.entityStore.service}=http://<address>): check the gateway's resolver and upstream${route} and the Entity Store's pods`;
  if (direct)
    return `${via}; the Entity Store itself does not answer at ${subject.entityStoreUrl} (GET /health: ${describeAnswer(direct)}): check Deployment and pods behind Service ${config.entityStore.service}`;
  return via;
}

function caseSentence(c: ModelCase, subject: GatewaySubject): string {
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
      return `the ConfigMap routes ${c.model} correctly, but the running gateway has not loaded it${when}: nginx reads its config only at start`;
    }
    case 'unknown-config':
      return `the gateway does not answer valid metadata for ${c.model}, and its config cannot be read (${subject.configError ?? 'no ConfigMap'})`;
    case 'drift':
      return `the running gateway answers for ${c.model}, but its ConfigMap would not after a restart (${c.problems.join('; ')})`;
    case 'unregistered':
      return `${c.model} is not registered in the Entity Store (the gateway proxies it there and gets 404 while the Entity Store answers)`;
    case 'invalid-record':
      return `the Entity Store's record for ${c.model} is not one the evaluator accepts: ${c.problems.join('; ')}`;
    case 'upstream':
      return `the gateway gets no answer from the Entity Store for ${c.model} (${c.answer})`;
    default:
      return '';
  }
}

export function judgeGateway(subject: GatewaySubject, probe: GatewayProbe, config: Config): Finding {
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
  if (subject.generation)
    evidence.push({
      label: 'Gateway generation',
      value:
        subject.generation === 'proxy'
          ? `proxy (no mocks): model paths go to the Entity Store through ${subject.modelRoute}`
          : `mock: base models are answered by mock blocks${subject.modelRoute ? `; other model paths go to ${subject.modelRoute}` : ''}`,
    });
  evidence.push({
    label: 'GET /healthz',
    value: describeAnswer(probe.health),
    tone: probe.health?.status === 200 ? 'good' : 'bad',
  });
  evidence.push({
    label: 'GET /v1/namespaces (gateway -> Entity Store)',
    value: describeAnswer(probe.namespaces),
    tone: answersJson(probe.namespaces) ? 'good' : 'bad',
  });
  if (probe.entityStoreHealth)
    evidence.push({
      label: `GET ${subject.entityStoreUrl}/health (bypassing nginx)`,
      value: describeAnswer(probe.entityStoreHealth),
      tone: probe.entityStoreHealth.status === 200 ? 'good' : 'bad',
    });
  const cases = classifyAll(subject, probe);
  for (const a of probe.answers) {
    const issues = judgeAnswer(a);
    const c = cases.find((x) => x.model === a.model)!;
    const src = models.find((m) => m.model === a.model)?.from.join(', ') ?? '';
    const verdict = c.case === 'ok' ? 'valid' : caseSentence(c, subject);
    evidence.push({
      label: `GET /v1/models/${a.model}`,
      value: `${a.networkError ? a.networkError : `HTTP ${a.status} ${a.contentType ?? ''}`}${issues.length ? `\nproblems: ${issues.join('; ')}` : '\nvalid Entity Store model answer'}\nverdict: ${verdict}\nfrom: ${src}${a.body ? `\nbody: ${truncate(a.body)}` : ''}`,
      tone: c.case === 'ok' ? 'good' : 'bad',
      code: true,
    });
  }
  const failing = cases.filter((c) => c.case !== 'ok' && c.case !== 'drift');
  const drifting = cases.filter((c) => c.case === 'drift');
  const manualFix = manualFixFor(cases, subject, config);
  const upstream = failing.filter((c) => c.case === 'upstream');
  if (upstream.length) {
    return {
      status: 'fail',
      summary: `The gateway cannot reach the Entity Store, so no model lookup through it works (${upstream.map((c) => c.model).join(', ')}): ${brokenPart(subject, probe, config)}`,
      evidence,
      manualFix,
      rootCause:
        'In the proxy generation every /v1/models lookup goes through nginx to the Entity Store. nginx resolves the upstream per request through its `resolver` line: a resolver that is not the cluster DNS, an upstream naming another namespace or a missing Service, or Entity Store pods that are down all end in 502/504.',
    };
  }
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
    summary: `The gateway answers valid model metadata for ${models.map((m) => m.model).join(', ')}${subject.generation === 'proxy' ? ' (registered in the Entity Store)' : ''}`,
    evidence,
  };
}

// ---------------------------------------------------------------- mock generation: generated nginx config

/** The Entity Store model object a mock answers for one base model. */
export function mockModelJson(model: string): string {
  if (!isModelId(model))
    throw new Error(
      `cannot generate a mock for "${model}": a model id must be <namespace>/<name> with letters, digits, -, _, . only`,
    );
  const [ns, ...rest] = model.split('/');
  return JSON.stringify({
    name: rest.join('/'),
    namespace: ns,
    description: `Base model ${model} (mock Entity Store answer served by nemo-gateway; added by Flywheel Doctor)`,
    spec: { num_parameters: 0, context_size: 8192, num_virtual_tokens: 0, is_chat: true },
    // Complete, so the SDK's strict response validation accepts it too (files_url and status are required there).
    artifact: { files_url: `nim://${model}`, status: 'upload_completed' },
    base_model: model,
    schema_version: '1.0',
    project: '',
    custom_fields: {},
  });
}

const mockComment = (model: string) => `Mock Entity Store answer for base NIM ${model} (added by Flywheel Doctor)`;

/** The exact-match block answering the Entity Store lookup for one base model (it wins over any regex). */
export function mockLocationBlock(model: string, indent = '    '): string {
  return `${indent}${exactAnswerBlock(modelPath(model), mockModelJson(model), mockComment(model), indent)}`;
}

/** Mock-generation cases fixed by editing the config; the others of a failing run need only a restart. */
const needsEdit = (c: ModelCase) =>
  c.case === 'missing' || c.case === 'shadowed' || c.case === 'invalid' || c.case === 'drift';

/** The ConfigMap text with exactly one winning, valid block per model that needs one. */
export function editedConfig(view: GatewayConfigView, models: string[]): string {
  return applyBlockEdits(
    view,
    models.map((m) => ({
      path: modelPath(m),
      build: (indent) => exactAnswerBlock(modelPath(m), mockModelJson(m), mockComment(m), indent),
    })),
  );
}

function curlIn(ns: string, args: string): string {
  return `oc run curl-test --rm -i --restart=Never --image=curlimages/curl -n ${ns} -- curl -s ${args}`;
}

function manualFixFor(cases: ModelCase[], subject: GatewaySubject, config: Config): string[] {
  const ns = config.namespace;
  const { configMap, deployment, service } = config.gateway;
  const out: string[] = [];
  for (const c of cases) {
    const block = () =>
      `location = ${modelPath(c.model)} { default_type application/json; return 200 '${mockModelJson(c.model)}'; }`;
    if (c.case === 'shadowed')
      out.push(
        `oc edit configmap ${configMap} -n ${ns}   # turn the block for ${c.model} into an exact match (exact matches win over every regex): ${block()}`,
      );
    else if (c.case === 'invalid' || c.case === 'drift')
      out.push(`oc edit configmap ${configMap} -n ${ns}   # replace the block for ${c.model} with: ${block()}`);
    else if (c.case === 'missing')
      out.push(
        `oc edit configmap ${configMap} -n ${ns}   # add inside the server block (an exact match wins wherever it sits): ${block()}`,
      );
    else if (c.case === 'unregistered') {
      const body = registrationBodyText(c.model, subject);
      out.push(
        curlIn(
          ns,
          `-X POST http://${service}/v1/models -H 'Content-Type: application/json' -d '${body}'   # 409 means it is registered already`,
        ),
      );
    } else if (c.case === 'invalid-record')
      out.push(
        curlIn(ns, `-X DELETE http://${service}${modelPath(c.model)}   # then register it again with POST /v1/models`),
      );
    else if (c.case === 'upstream')
      out.push(
        `oc get endpoints ${config.entityStore.service} -n ${ns}   # the Entity Store needs ready endpoints`,
        `oc get svc -n openshift-dns dns-default -o jsonpath='{.spec.clusterIP}'   # must equal the resolver in ConfigMap ${configMap} (kube-system/kube-dns off OpenShift)`,
        `oc logs deployment/${deployment} -n ${ns} | tail   # nginx says which upstream it could not resolve or reach`,
      );
  }
  if (cases.some((c) => needsEdit(c) || c.case === 'not-loaded'))
    out.push(
      `oc rollout restart deployment/${deployment} -n ${ns} && oc rollout status deployment/${deployment} -n ${ns}   # nginx reads its config only at start`,
    );
  for (const c of cases.filter((x) => x.case !== 'ok')) out.push(curlIn(ns, `http://${service}${modelPath(c.model)}`));
  return out;
}

const registrationBodyText = (model: string, subject: GatewaySubject) =>
  JSON.stringify(registrationBody(model, subject.models.find((m) => m.model === model)?.from ?? []));

interface GatewayPlanData {
  ops: JsonPatchOp[];
  /** Models whose answers the apply waits for after a restart. */
  models: string[];
  restart: boolean;
  /** Proxy generation: base models to register in the Entity Store through the gateway. */
  register: string[];
}

/** Sending requests to the gateway Service is what registering through it means in RBAC terms. */
const gatewayProxyAccess = (config: Config) => ({
  verb: 'create',
  group: '',
  resource: 'services',
  subresource: 'proxy',
  namespace: config.namespace,
  name: config.gateway.service,
});

export default defineCheck<typeof sections, GatewaySubject, GatewayProbe, GatewayPlanData>({
  id: 'gateway-models',
  aliases: ['gateway-model-mocks'],
  title: 'Gateway answers model metadata for every base model',
  area: 'Gateway',
  config: sections,
  needs: ['configmaps', 'nimservices', 'deployments', 'pods'],
  // In the proxy generation every lookup goes through the upstream path that check owns.
  dependsOn: ['gateway-upstreams'],
  explain: {
    symptom:
      'Base-model evaluations fail with 404 for /v1/models/<namespace>/<model> even though ENTITY_STORE_URL points at the gateway.',
    rootCause:
      'The evaluator looks every model up at /v1/models/<namespace>/<name>. In the mock generation of nemo-gateway (the troubleshooting guide) base NIMs are answered by one mock `location` per model: a model without one falls to the catch-all 404, a mock placed after a broader regex is never served, and a changed ConfigMap is served only after the gateway restarts. In the proxy generation (the OpenShift port today) every model path goes to the Entity Store, where base models must be registered; nobody registers them automatically.',
    manualFix: (c) => [
      `oc get configmap ${c.gateway.configMap} -n ${c.namespace} -o jsonpath='{.data.nginx\\.conf}' | grep -n 'location'   # a "~ ^/v1/models" proxy = proxy generation; mocks = mock generation`,
      `${curlIn(c.namespace, `-X POST http://${c.gateway.service}/v1/models -H 'Content-Type: application/json' -d '{"name":"<name>","namespace":"<ns>","artifact":{"status":"upload_completed","files_url":"nim://<ns>/<name>"}}'`)}   # proxy generation: register the base model`,
      `oc edit configmap ${c.gateway.configMap} -n ${c.namespace}   # mock generation: add inside the server block: location = /v1/models/<ns>/<name> { default_type application/json; return 200 '{"name":"<name>","namespace":"<ns>",...}'; }   (an exact match wins over any regex), then restart the gateway`,
      curlIn(c.namespace, `http://${c.gateway.service}/v1/models/<ns>/<name>`),
    ],
  },
  locate: locateGatewaySubject,
  async probe({ subject, signal }) {
    const [health, namespaces, answers] = await Promise.all([
      fetchAnswer(subject.gatewayUrl, '/healthz', signal),
      fetchAnswer(subject.gatewayUrl, '/v1/namespaces', signal),
      probeModels(
        subject.gatewayUrl,
        subject.models.map((m) => m.model),
        signal,
      ),
    ]);
    // Only when the gateway does not reach the Entity Store: ask it directly, to say which part is broken.
    const entityStoreHealth = answersJson(namespaces)
      ? undefined
      : await fetchAnswer(subject.entityStoreUrl, '/health', signal);
    return { health, namespaces, entityStoreHealth, answers };
  },
  judge: ({ subject, probe, config }) => judgeGateway(subject, probe, config),
  fix: {
    description:
      'Mock generation: give each failing base model exactly one exact-match mock location in the gateway ConfigMap and restart the gateway so nginx loads it. Proxy generation: register each missing base model in the Entity Store with POST /v1/models through the gateway (never a mock). Re-checked over HTTP.',
    touches: ['gateway-config'],
    available({ subject, probe, config }) {
      if (!subject.configMap)
        return { reason: `ConfigMap ${config.gateway.configMap} does not exist; set gateway.configMap` };
      if (!subject.deployment)
        return { reason: `Deployment ${config.gateway.deployment} does not exist; set gateway.deployment` };
      if (!subject.view) return { reason: subject.configError ?? 'the gateway config cannot be read' };
      const cases = classifyAll(subject, probe);
      if (cases.some((c) => c.case === 'upstream'))
        return {
          reason: `the gateway cannot reach the Entity Store (${brokenPart(subject, probe, config)}); registering or mocking models does not repair that path: fix it first`,
        };
      const records = cases.filter((c) => c.case === 'invalid-record').map((c) => c.model);
      if (records.length)
        return {
          reason: `the Entity Store's record for ${records.join(', ')} is invalid; Flywheel Doctor does not delete records: delete and register it by hand`,
        };
      const edits = cases.filter(needsEdit);
      if (subject.generation === 'proxy' && edits.length)
        return {
          reason: `${edits.map((c) => c.model).join(', ')} ${edits.length > 1 ? 'are' : 'is'} answered by ${edits.length > 1 ? 'their' : 'its'} own block in a gateway that proxies models to the Entity Store; remove the block by hand so the Entity Store answers (a mock is never added in this generation)`,
        };
      const bad = [...edits, ...cases.filter((c) => c.case === 'unregistered')]
        .map((c) => c.model)
        .filter((m) => !isModelId(m));
      if (bad.length)
        return { reason: `${bad.join(', ')} is not a <namespace>/<name> model id the Entity Store can hold` };
      if (edits.length && !subject.view.server && !subject.view.locations.length)
        return { reason: 'nginx.conf has no server block to add a location to' };
      return true;
    },
    permissions: (c, subject) =>
      subject?.generation === 'proxy'
        ? [
            gatewayProxyAccess(c),
            {
              verb: 'patch',
              group: 'apps',
              resource: 'deployments',
              namespace: c.namespace,
              name: c.gateway.deployment,
            },
          ]
        : [
            { verb: 'patch', group: '', resource: 'configmaps', namespace: c.namespace, name: c.gateway.configMap },
            {
              verb: 'patch',
              group: 'apps',
              resource: 'deployments',
              namespace: c.namespace,
              name: c.gateway.deployment,
            },
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
          summary:
            subject.generation === 'proxy'
              ? 'Every base model is registered in the Entity Store'
              : 'Every base model already has a valid mock',
          changes: [],
          risks: [],
          guards: [guard],
          data: { ops: [], models: [], restart: false, register: [] },
        };
      }
      const edit = cases.filter(needsEdit).map((c) => c.model);
      const register = cases.filter((c) => c.case === 'unregistered').map((c) => c.model);
      const conf = subject.view!.conf;
      const next = edit.length ? editedConfig(subject.view!, edit) : conf;
      const ops: JsonPatchOp[] = edit.length ? configTextPatch(test, config.gateway.configKey, conf, next) : [];
      const restart = failing.some((c) => (needsEdit(c) ? c.case !== 'drift' : c.case === 'not-loaded'));
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
      for (const model of register)
        changes.push({
          target: `Entity Store model ${model} (through ${subject.gatewayUrl})`,
          action: 'create',
          description: `POST /v1/models (its namespace first with POST /v1/namespaces); 409 means already registered`,
          manifest: JSON.parse(registrationBodyText(model, subject)),
        });
      if (restart)
        changes.push({
          target: targetOf('Deployment', dep),
          action: 'restart',
          description: 'rollout restart so nginx loads the config',
        });
      const what = [
        edit.length ? `Give ${edit.join(', ')} an exact-match mock in ConfigMap ${config.gateway.configMap}` : '',
        register.length ? `Register ${register.join(', ')} in the Entity Store` : '',
        restart ? `restart ${config.gateway.deployment}` : '',
      ]
        .filter(Boolean)
        .join(' and ');
      const risks: string[] = [];
      if (restart)
        risks.push(
          `Restarts the gateway (${config.gateway.deployment}); requests in flight through it may fail during the rollout.`,
        );
      if (register.length)
        risks.push(
          'Creates Entity Store records that stay until deleted (DELETE /v1/models/<namespace>/<name>); the Customizer and the flywheel see them as base models.',
        );
      return {
        noop: false,
        summary:
          edit.length || register.length
            ? what
            : `Only restart ${config.gateway.deployment}: the ConfigMap is already right (${failing.map((c) => c.model).join(', ')} not loaded)`,
        changes,
        risks,
        guards: [guard, guardFor('Deployment', dep).guard],
        data: { ops, models: failing.map((c) => c.model), restart, register },
      };
    },
    async readBack({ subject, reader, config, signal }, plan) {
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
      if (plan.data.register.length) {
        const answers = await probeModels(subject.gatewayUrl, plan.data.register, signal);
        for (const a of answers)
          state.push({ step: `${a.model} registered in the Entity Store`, done: judgeAnswer(a).length === 0 });
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
    steps({ subject, config }, plan) {
      const served = async (signal: AbortSignal) =>
        (await probeModels(subject.gatewayUrl, plan.data.models, signal)).every((a) => judgeAnswer(a).length === 0);
      const edit = gatewayEditSteps(config, plan.data.ops, 'model routes', served);
      // The Entity Store has no Kubernetes identity to check: the acting user must be allowed to
      // send requests to the gateway Service, or the doctor would register on behalf of anyone.
      const register: FixStep[] = plan.data.register.flatMap((model) =>
        registrationSteps(
          subject.gatewayUrl,
          model,
          subject.models.find((m) => m.model === model)?.from ?? [],
          gatewayProxyAccess(config),
        ),
      );
      // Config edit first, registrations, then the restart that loads the config (when one is needed).
      const [patch, restart] = [edit.filter((x) => x.kind === 'patch'), edit.filter((x) => x.kind === 'restart')];
      return [...patch, ...register, ...(plan.data.restart ? restart : [])];
    },
  },
});
