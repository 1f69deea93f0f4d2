import type { ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding } from '../../lib/engine/types';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { rolloutState } from '../../lib/k8s/wait';
import {
  effectiveEnv,
  ENTITY_STORE_ENV,
  envVarPatch,
  EvaluatorSection,
  resolveEvaluator,
  type Container,
  type EnvVar,
  crEnvPlan,
  deploymentEnvPlan,
  type EnvPlanData,
  type EvaluatorRefs,
  crPatchBlocked,
  evaluatorEnvStep,
} from '../shared/evaluator';
import {
  baseModels,
  DataFlywheelSection,
  EntityStoreSection,
  judgeAnswer,
  probeModels,
  reachableUrl,
  type ModelAnswer,
  type ModelSource,
} from '../shared/entity-store';
import { servicePortProblem } from '../shared/service-url';
import { gatewayBase, GatewaySection } from '../shared/gateway';
import { generationOf, readGatewayConfig, type Generation } from '../shared/gateway-config';

const sections = {
  evaluator: EvaluatorSection,
  gateway: GatewaySection,
  dataFlywheel: DataFlywheelSection,
  entityStore: EntityStoreSection,
};
type Config = ConfigOf<typeof sections>;

/**
 * Why a URL does not reach the gateway Service from the evaluator's pod, in specific terms;
 * undefined when it does. Ports are the Service's (80 when the Service is not known).
 */
export function gatewayUrlProblem(
  raw: string,
  service: string,
  namespace: string,
  servicePorts: number[] = [80],
): string | undefined {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return `"${raw}" is not a URL`;
  }
  const forms = [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
  const host = url.hostname;
  const [first, second] = host.split('.');
  if (!forms.includes(host)) {
    if (first === service && second && second !== 'svc')
      return `it names Service ${service} in namespace ${second}, not in ${namespace}`;
    const what = /entity-?store/i.test(first ?? '') ? 'the Entity Store' : `${host}`;
    return `it points at ${what} instead of the gateway (${service}); base NIMs are not registered there, so lookups get 404`;
  }
  if (url.protocol !== 'http:')
    return `it uses ${url.protocol.replace(':', '')}; the gateway Service serves plain http`;
  if (url.username || url.password) return 'it carries credentials (user:password@), which the gateway does not take';
  const port = url.port === '' ? 80 : Number(url.port);
  if (!servicePorts.includes(port))
    return `port ${port} is not a port of Service ${service} (${servicePorts.join(', ')})`;
  if (url.pathname !== '' && url.pathname !== '/')
    return `it has the path ${url.pathname}; the evaluator appends /v1/models/... itself`;
  return undefined;
}

/** The forms of the gateway URL that resolve to the gateway Service from the evaluator's pod. */
export function isGatewayUrl(raw: string, service: string, namespace: string, servicePorts?: number[]): boolean {
  return gatewayUrlProblem(raw, service, namespace, servicePorts) === undefined;
}

function crEnvValue(cr: KObject | undefined): string | undefined {
  const e = ((cr?.spec?.env ?? []) as EnvVar[]).filter((x) => x.name === ENTITY_STORE_ENV).pop();
  return e?.value;
}

/** The URL the operator renders from the CR: spec.env wins over spec.entitystore.endpoint. */
function crRenderedUrl(cr: KObject): string | undefined {
  return crEnvValue(cr) ?? (cr.spec?.entitystore?.endpoint as string | undefined);
}

export function gatewayUrl(config: Config): string {
  return `http://${config.gateway.service}`;
}

/** What this check is about: the evaluator, the base models it must resolve, and the gateway. */
export interface EntityStoreSubject extends EvaluatorRefs {
  /** The gateway Service's ports; undefined when the Service is not there. */
  gatewayPorts?: number[];
  models: ModelSource[];
  /** The gateway's generation (proxy: it forwards model lookups to the same Entity Store). */
  generation?: Generation;
}

export function locateEntityStoreSubject(snapshot: Snapshot, config: Config): EntityStoreSubject {
  const svc = snapshot.find('services', config.gateway.service);
  const ports = ((svc?.spec?.ports ?? []) as Array<{ port?: number }>)
    .map((p) => p.port)
    .filter((p): p is number => typeof p === 'number');
  const conf = snapshot.find('configmaps', config.gateway.configMap)?.data?.[config.gateway.configKey];
  const view = conf === undefined ? undefined : readGatewayConfig(conf);
  return {
    ...resolveEvaluator(config, snapshot, { withCr: true }),
    gatewayPorts: svc ? ports : undefined,
    // A df-config problem is gateway-models' to report; here it only means fewer models to ask about.
    models: baseModels(snapshot, config).models,
    generation: view && 'conf' in view ? generationOf(view).generation : undefined,
  };
}

/** What the evaluator's URL answers for each base model, asked the way the evaluator asks. */
export interface UrlProbe {
  /** Where the requests went, or why the URL cannot be reached from where the doctor runs. */
  target?: { base: string; via: string };
  unprobeable?: string;
  answers: ModelAnswer[];
  /** The same questions through the gateway, when the URL is not the gateway (would pointing there help?). */
  gatewayAnswers: ModelAnswer[];
}

const NO_ANSWERS: UrlProbe = { answers: [], gatewayAnswers: [] };

export async function probeEntityStoreUrl(
  ev: EntityStoreSubject,
  snapshot: Snapshot,
  config: Config,
  signal?: AbortSignal,
): Promise<UrlProbe> {
  const value = ev.container ? effectiveEnv(ENTITY_STORE_ENV, ev.container, snapshot)?.value : undefined;
  if (value === undefined) return NO_ANSWERS;
  if (!ev.models.length) return { ...NO_ANSWERS, unprobeable: 'no base models are known to ask about' };
  const target = reachableUrl(value, config, !!process.env.KUBERNETES_SERVICE_HOST);
  if (target.base === undefined) return { ...NO_ANSWERS, unprobeable: target.reason };
  const models = ev.models.map((m) => m.model);
  const [answers, gatewayAnswers] = await Promise.all([
    probeModels(target.base, models, signal),
    isGateway(value, config, ev.gatewayPorts) ? [] : probeModels(gatewayBase(config), models, signal),
  ]);
  return { target, answers, gatewayAnswers };
}

/**
 * Why the answers say nothing about the evaluator, or undefined when they do. A name that does not
 * resolve from here, or an override address that does not answer, is the doctor's view of the
 * network, not the evaluator's; in the cluster, a refused connection is what the evaluator gets too.
 */
function noBehaviour(probe: UrlProbe | undefined): string | undefined {
  if (!probe) return 'the URL was not asked';
  if (!probe.target || !probe.answers.length) return probe.unprobeable ?? 'the URL was not asked';
  const errors = probe.answers.map((a) => a.networkError);
  if (!errors.every(Boolean)) return undefined;
  if (errors.every((e) => /ENOTFOUND|EAI_AGAIN/.test(e!)) || probe.target.via.startsWith('FD_SERVICE_URL_OVERRIDES'))
    return `${probe.target.base} (${probe.target.via}) did not answer from here: ${errors[0]}`;
  return undefined;
}

function judgedByBehaviour(probe: UrlProbe | undefined): probe is UrlProbe & { target: { base: string; via: string } } {
  return noBehaviour(probe) === undefined;
}

const describeModelAnswer = (a: ModelAnswer) =>
  `${a.networkError ?? `HTTP ${a.status}`}${judgeAnswer(a).length ? `: ${judgeAnswer(a).join('; ')}` : ': valid record'}${a.body ? `\nbody: ${a.body.slice(0, 300)}` : ''}`;

export function judgeEntityStoreUrl(
  ev: EntityStoreSubject,
  snapshot: Snapshot,
  config: Config,
  probe?: UrlProbe,
): Finding {
  const ns = config.namespace;
  if (!ev.deployment) {
    return {
      status: 'error',
      summary: `No evaluator Deployment found in namespace ${ns} (looked for ${ev.deploymentName} and nemo-evaluator). If your evaluator has another name, set evaluator.deployment in the configuration.`,
      evidence: [
        {
          label: 'Deployments in namespace',
          value:
            snapshot
              .list('deployments')
              .map((d) => d.metadata?.name)
              .join(', ') || '(none)',
        },
      ],
    };
  }
  if (!ev.container)
    return { status: 'error', summary: `Deployment ${ev.deploymentName} has no containers`, evidence: [] };
  const evidence: Evidence[] = [
    { label: 'Deployment', value: `${ev.deploymentName} (container ${ev.container.name})` },
    {
      label: 'Managed by',
      value: ev.cr
        ? `NemoEvaluator CR ${ev.cr.metadata?.name} (NIM Operator)`
        : ev.flavour === 'helm'
          ? 'helm chart (nemo-microservices)'
          : 'no owning CR found',
    },
  ];
  const eff = effectiveEnv(ENTITY_STORE_ENV, ev.container, snapshot);
  const want = gatewayUrl(config);
  if (!eff) {
    evidence.push({
      label: ENTITY_STORE_ENV,
      value: '(not set: the evaluator uses its built-in Entity Store default)',
      tone: 'bad',
    });
    return {
      status: 'fail',
      summary: `${ENTITY_STORE_ENV} is not set on ${ev.deploymentName}; base-model evaluations will get 404 from the Entity Store`,
      evidence,
    };
  }
  if (eff.unknownReason) {
    evidence.push({ label: ENTITY_STORE_ENV, value: `from ${eff.source}: ${eff.unknownReason}`, tone: 'info' });
    return { status: 'warn', summary: `Cannot verify ${ENTITY_STORE_ENV}: ${eff.unknownReason}`, evidence };
  }
  // An override answers for the Service's address only: the URL's own port must still be one the
  // Service has, or the evaluator in the cluster cannot connect whatever the override answered.
  const portProblem = probe?.target?.via.startsWith('FD_SERVICE_URL_OVERRIDES')
    ? servicePortProblem(eff.value!, snapshot, ns)
    : undefined;
  if (portProblem) {
    evidence.push({ label: ENTITY_STORE_ENV, value: `${eff.value} (${eff.source})`, tone: 'bad' });
    evidence.push({
      label: 'Asked at',
      value: `${probe!.target!.base} (${probe!.target!.via}): stands for the Service's address, not the URL's port`,
      tone: 'info',
    });
    return {
      status: 'fail',
      summary: `The evaluator's ${ENTITY_STORE_ENV} (${eff.value}) cannot connect in the cluster: ${portProblem}`,
      evidence,
    };
  }
  if (judgedByBehaviour(probe)) return judgeByAnswers(ev, eff.value!, eff.source, probe, config, evidence);
  const ports = ev.gatewayPorts ?? [80];
  const problem = gatewayUrlProblem(eff.value!, config.gateway.service, ns, ports);
  const byName = noBehaviour(probe) ?? 'the URL was not asked';
  evidence.push({ label: ENTITY_STORE_ENV, value: `${eff.value} (${eff.source})`, tone: problem ? 'bad' : 'good' });
  evidence.push({
    label: 'Expected',
    value: `${want} (or ${config.gateway.service}.${ns}[.svc[.cluster.local]], port ${ports.join(' or ')})${ev.gatewayPorts ? '' : ` — Service ${config.gateway.service} not found`}`,
  });
  evidence.push({ label: 'Verdict', value: `by name only: ${byName}`, tone: 'info' });
  const rollout = rolloutState(ev.deployment);
  evidence.push({ label: 'Rollout', value: rollout.message, tone: rollout.done ? 'good' : 'info' });
  if (problem) {
    return {
      status: 'fail',
      summary: `The evaluator's ${ENTITY_STORE_ENV} (${eff.value}) does not reach the gateway: ${problem} (judged by name only: ${byName})`,
      evidence,
      rootCause: ev.cr
        ? `The NIM Operator renders ${ENTITY_STORE_ENV} from NemoEvaluator.spec.entitystore.endpoint and re-renders the Deployment whenever the CR changes, which drops any env set only on the Deployment (oc set env). The durable fix is spec.env on the CR.`
        : undefined,
    };
  }
  const lasting = lastingProblem(ev, eff.value!, rollout);
  if (lasting) return { ...lasting, evidence: [...evidence, ...lasting.evidence] };
  if (ev.cr && !isGatewayUrl(crEnvValue(ev.cr) ?? '', config.gateway.service, ns, ports)) {
    evidence.push({
      label: `NemoEvaluator spec.env ${ENTITY_STORE_ENV}`,
      value: crEnvValue(ev.cr) ?? '(not set)',
      tone: 'bad',
    });
    return {
      status: 'warn',
      summary: `The Deployment points at the gateway, but the NemoEvaluator CR does not: the next operator re-render (any NeMo redeploy) will reset it`,
      evidence,
    };
  }
  return {
    status: 'pass',
    summary: `The evaluator resolves models through the gateway (${eff.value}; judged by name only: ${byName})`,
    evidence,
  };
}

/** Right now, but not for long: the rollout carrying the value is not done. */
function lastingProblem(
  ev: EntityStoreSubject,
  value: string,
  rollout: ReturnType<typeof rolloutState>,
): Finding | undefined {
  if (!rollout.done)
    return {
      status: 'warn',
      summary: `${ENTITY_STORE_ENV} is ${value}, but the rollout that carries it is not complete (${rollout.message})`,
      evidence: [],
    };
  return undefined;
}

/** The verdict by behaviour: does the URL answer a valid record for every base model (real-stack.md §2)? */
function judgeByAnswers(
  ev: EntityStoreSubject,
  value: string,
  source: string,
  probe: UrlProbe & { target: { base: string; via: string } },
  config: Config,
  evidence: Evidence[],
): Finding {
  const failing = probe.answers.filter((a) => judgeAnswer(a).length);
  evidence.push({ label: ENTITY_STORE_ENV, value: `${value} (${source})`, tone: failing.length ? 'bad' : 'good' });
  evidence.push({ label: 'Asked at', value: `${probe.target.base} (${probe.target.via})` });
  for (const a of probe.answers)
    evidence.push({
      label: `GET /v1/models/${a.model}`,
      value: describeModelAnswer(a),
      tone: judgeAnswer(a).length ? 'bad' : 'good',
      code: true,
    });
  const viaGateway = isGateway(value, config, ev.gatewayPorts);
  for (const a of probe.gatewayAnswers.filter((g) => failing.some((f) => f.model === g.model)))
    evidence.push({
      label: `through the gateway: GET /v1/models/${a.model}`,
      value: describeModelAnswer(a),
      tone: judgeAnswer(a).length ? 'bad' : 'good',
      code: true,
    });
  if (failing.length) {
    const names = failing.map((a) => a.model).join(', ');
    const first = failing[0]!;
    return {
      status: 'fail',
      summary: `The evaluator's ${ENTITY_STORE_ENV} (${value}) does not answer a valid record for ${names}: ${judgeAnswer(
        first,
      )
        .join('; ')
        .replace(/^request failed: /, '')}; base-model evaluations fail`,
      evidence,
      rootCause: viaGateway
        ? `${ENTITY_STORE_ENV} points at the gateway, and the gateway is what answers no valid record: see check gateway-models.`
        : ev.generation === 'proxy'
          ? `${ENTITY_STORE_ENV} points straight at the Entity Store, which is fine once the base models are registered there; they are not. Nobody registers base NIMs automatically (the Data Flywheel never does).`
          : `${ENTITY_STORE_ENV} points at ${value}, which has no record for the base NIMs; in this gateway generation only the gateway's mock answers know them, so the evaluator must ask the gateway. A NeMo redeploy resets ${ENTITY_STORE_ENV} to the Entity Store.`,
    };
  }
  const lasting = lastingProblem(ev, value, rolloutState(ev.deployment!));
  if (lasting) return { ...lasting, evidence };
  const rendered = ev.cr ? crRenderedUrl(ev.cr) : undefined;
  if (ev.cr && rendered !== undefined && rendered.replace(/\/$/, '') !== value.replace(/\/$/, '')) {
    evidence.push({ label: `NemoEvaluator ${ev.cr.metadata?.name} renders`, value: rendered, tone: 'bad' });
    return {
      status: 'warn',
      summary: `${value} answers for every base model, but the NemoEvaluator CR renders ${ENTITY_STORE_ENV}=${rendered}: the next operator re-render (any NeMo redeploy) switches to it`,
      evidence,
    };
  }
  return {
    status: 'pass',
    summary: `The evaluator's ${ENTITY_STORE_ENV} (${value}) answers a valid record for every base model (${ev.models.map((m) => m.model).join(', ')})`,
    evidence,
  };
}

/** JSON Patch that sets ENTITY_STORE_URL in an env list at `base`, guarded by `test` ops. */
export const envPatch = (base: string, env: EnvVar[] | undefined, value: string) =>
  envVarPatch(base, env, ENTITY_STORE_ENV, value);

const isGateway = (value: string | undefined, config: Config, ports?: number[]) =>
  isGatewayUrl(value ?? '', config.gateway.service, config.namespace, ports);

/** The rendered Deployment's evaluator container carries a gateway URL (the last env entry wins). */
function carriesGatewayUrl(d: KObject, ev: EntityStoreSubject, config: Config): boolean {
  const c = (d.spec.template.spec.containers as Container[]).find((x) => x.name === ev.container?.name);
  return isGateway(
    [...(c?.env ?? [])].reverse().find((e) => e.name === ENTITY_STORE_ENV)?.value,
    config,
    ev.gatewayPorts,
  );
}

export default defineCheck<typeof sections, EntityStoreSubject, UrlProbe, EnvPlanData>({
  id: 'evaluator-entity-store-url',
  title: "Evaluator's ENTITY_STORE_URL answers for every base model",
  area: 'NeMo Evaluator',
  config: sections,
  needs: ['deployments', 'configmaps', 'nemoevaluators', 'services', 'nimservices', 'secrets'],
  // Through the gateway, the verdict is what the gateway answers.
  dependsOn: ['gateway-models'],
  explain: {
    jobSignatures: [
      {
        pattern: /404\b[^\n]*\/v1\/models\/([\w\-.]+\/[\w\-.@:+]+)/,
        cause: 'the evaluator got no record for $1 (a 404 from its ENTITY_STORE_URL)',
      },
      { pattern: /Model ([\w\-.]+\/[\w\-.@:+]+) not found/, cause: 'the evaluator got no record for $1' },
      { pattern: /namespace="" fails pattern/, cause: 'the record the evaluator got has an empty namespace' },
      {
        pattern: /The model (default\/\S+?) does not exist/,
        cause: 'the evaluator looked the model up as $1: the record it got names no namespace',
      },
    ],
    symptom:
      'base-eval / icl-eval fail with "404 ... /v1/models/meta/llama-3.2-1b-instruct", "namespace=\\"\\" fails pattern", or "The model default/... does not exist".',
    rootCause:
      'The evaluator looks up every model with GET $ENTITY_STORE_URL/v1/models/<namespace>/<name>. Base NIMs deployed by the operator are registered nowhere by default: in the mock gateway generation only the nemo-gateway answers for them, so the URL must be the gateway; in the proxy generation the Entity Store answers once they are registered. A NeMo redeploy resets ENTITY_STORE_URL to the Entity Store.',
    manualFix: (c) => {
      const dep = c.evaluator.deployment ?? c.evaluator.crName;
      return [
        `oc patch nemoevaluator ${c.evaluator.crName} -n ${c.namespace} --type=json -p '[{"op":"add","path":"/spec/env/-","value":{"name":"ENTITY_STORE_URL","value":"http://${c.gateway.service}"}}]'   # durable (operator path; use "add /spec/env" with a list if spec.env is absent)`,
        `oc set env deployment/${dep} -n ${c.namespace} ENTITY_STORE_URL="http://${c.gateway.service}"   # helm path, or until the next operator re-render`,
        `oc rollout status deployment/${dep} -n ${c.namespace}`,
      ];
    },
  },
  locate: locateEntityStoreSubject,
  probe: ({ subject, snapshot, config, signal }) => probeEntityStoreUrl(subject, snapshot, config, signal),
  judge: ({ subject, snapshot, config, probe }) => judgeEntityStoreUrl(subject, snapshot, config, probe),
  fix: {
    touches: ['NemoEvaluator'],
    description:
      'Set ENTITY_STORE_URL=http://nemo-gateway on the NemoEvaluator CR (spec.env, survives operator re-renders), or on the Deployment when no CR owns it, then wait for the rollout.',
    permissions: (c) => [
      { verb: 'patch', group: 'apps.nvidia.com', resource: 'nemoevaluators', namespace: c.namespace },
      { verb: 'patch', group: 'apps', resource: 'deployments', namespace: c.namespace },
    ],
    available({ subject: ev, snapshot, config, finding, probe }) {
      const blocked = ev.flavour === 'operator' ? crPatchBlocked(ev.cr, snapshot) : undefined;
      if (blocked) return blocked;
      const value = ev.container ? effectiveEnv(ENTITY_STORE_ENV, ev.container, snapshot)?.value : undefined;
      if (finding.status === 'fail' && judgedByBehaviour(probe) && value !== undefined) {
        const failing = probe.answers.filter((a) => judgeAnswer(a).length).map((a) => a.model);
        if (isGateway(value, config, ev.gatewayPorts))
          return {
            reason: `${ENTITY_STORE_ENV} already points at the gateway; the gateway is what answers no valid record for ${failing.join(', ')}: fix check gateway-models`,
          };
        const gatewayFails = probe.gatewayAnswers.filter((a) => failing.includes(a.model) && judgeAnswer(a).length);
        if (gatewayFails.length && ev.generation === 'proxy')
          return {
            reason: `the gateway forwards model lookups to the same Entity Store and answers no better for ${gatewayFails.map((a) => a.model).join(', ')}: register the models (check gateway-models); ${value} then passes as it is`,
          };
      }
      // A warning with the CR already right leaves nothing to patch: say what instead.
      const crOk = !ev.cr || isGateway(crEnvValue(ev.cr), config, ev.gatewayPorts);
      if (finding.status !== 'warn' || !crOk || !ev.container) return true;
      const unknown = effectiveEnv(ENTITY_STORE_ENV, ev.container, snapshot)?.unknownReason;
      if (unknown)
        return { reason: `the value cannot be read (${unknown}), so overriding it is your decision: set it by hand` };
      return {
        reason:
          'ENTITY_STORE_URL already points at the gateway; the rollout that carries it is still in progress: wait for it',
      };
    },
    plan({ subject: ev, snapshot, config, finding, probe }) {
      const { deployment, container } = ev;
      if (!deployment || !container) throw new Error(finding.summary);
      if (finding.status === 'pass') {
        const data = { kind: 'deployment' as const, name: ev.deploymentName, ops: [], value: '' };
        return {
          noop: true,
          summary: 'ENTITY_STORE_URL already points at the gateway',
          changes: [],
          risks: [],
          guards: [],
          data,
        };
      }
      const want = gatewayUrl(config);
      const plan = ev.cr
        ? crEnvPlan({ ...ev, cr: ev.cr }, ENTITY_STORE_ENV, want, crEnvValue(ev.cr))
        : deploymentEnvPlan(
            { ...ev, deployment, container },
            ENTITY_STORE_ENV,
            want,
            effectiveEnv(ENTITY_STORE_ENV, container, snapshot)?.value,
            ev.flavour === 'helm'
              ? 'A later helm upgrade resets it unless evaluator.external.entityStore.endpoint is set in your values.'
              : 'Set only on the Deployment: a redeploy may reset it.',
          );
      const gatewayFails = (probe?.gatewayAnswers ?? []).filter((a) => judgeAnswer(a).length).map((a) => a.model);
      if (gatewayFails.length)
        plan.risks.push(
          `The gateway does not answer a valid record for ${gatewayFails.join(', ')} yet either: this check passes once check gateway-models is fixed too (Fix all applies that first).`,
        );
      return plan;
    },
    async readBack({ subject: ev, config, reader, signal }, plan) {
      const d = await reader.get<KObject>(RESOURCES.deployments, config.namespace, ev.deploymentName, { signal });
      const carried = carriesGatewayUrl(d, ev, config);
      const state = [
        { step: `Deployment ${ev.deploymentName} carries ${ENTITY_STORE_ENV} for the gateway`, done: carried },
        { step: `Deployment ${ev.deploymentName} rolled out`, done: carried && rolloutState(d).done },
      ];
      if (plan.data.kind === 'cr') {
        const cr = await reader.get<KObject>(RESOURCES.nemoevaluators, config.namespace, plan.data.name, { signal });
        state.unshift({
          step: `NemoEvaluator ${plan.data.name} spec.env set`,
          done: isGateway(crEnvValue(cr), config, ev.gatewayPorts),
        });
      }
      return state;
    },
    steps({ subject: ev, config, reader }, plan) {
      return [
        evaluatorEnvStep(
          { reader, config },
          { ...plan.data, deployment: ev.deployment ?? ev.deploymentName },
          {
            name: ENTITY_STORE_ENV,
            rendered: (d) => carriesGatewayUrl(d, ev, config),
            what: `the new ${ENTITY_STORE_ENV}`,
          },
        ),
      ];
    },
  },
});
