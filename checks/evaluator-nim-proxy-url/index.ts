import { coded } from '../../lib/engine/codes';
import { codes } from './codes';
import type { ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding } from '../../lib/engine/types';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import {
  crEnv,
  crEnvPlan,
  deploymentEnvPlan,
  effectiveEnv,
  type EnvPlanData,
  EvaluatorSection,
  resolveEvaluator,
  type Container,
  type EvaluatorRefs,
  crPatchBlocked,
  evaluatorEnvStep,
} from '../shared/evaluator';
import { serviceTarget, withPort } from '../shared/service-url';

export { withPort };

export const NIM_PROXY_ENV = 'NIM_PROXY_URL';
const sections = { evaluator: EvaluatorSection };
type Config = ConfigOf<typeof sections>;

export interface ProxySubject extends EvaluatorRefs {
  /** What the running evaluator has (the Deployment) and what the CR renders next. */
  running?: string;
  rendered?: string;
  servicePorts: (name: string) => number[] | undefined;
}

export function locateProxySubject(snapshot: Snapshot, config: Config): ProxySubject {
  const ev = resolveEvaluator(config, snapshot, { withCr: true });
  const ports = (name: string) => {
    const svc = snapshot.find('services', name);
    return svc ? ((svc.spec?.ports ?? []) as Array<{ port: number }>).map((p) => p.port) : undefined;
  };
  return {
    ...ev,
    running: ev.container ? effectiveEnv(NIM_PROXY_ENV, ev.container, snapshot)?.value : undefined,
    rendered: ev.cr ? crEnv(ev.cr, NIM_PROXY_ENV) : undefined,
    servicePorts: ports,
  };
}

/** What is wrong with a NIM_PROXY_URL, undefined when it names a port of an existing Service (or points outside). */
export function proxyProblem(raw: string, subject: ProxySubject, namespace: string): string | undefined {
  const t = serviceTarget(raw, namespace);
  if ('invalid' in t) return t.invalid;
  if (t.outside) return undefined;
  const ports = subject.servicePorts(t.service!);
  if (!ports) return `it names Service ${t.service}, which does not exist in ${namespace}`;
  if (!ports.includes(t.port))
    return `port ${t.port} is not a port of Service ${t.service} (${ports.join(', ')}); NIMs deployed by the operator listen on 8000`;
  return undefined;
}

/** The port a fix would use: the Service's only port, else 8000 when it has it. */
export function portToUse(raw: string, subject: ProxySubject, namespace: string): number | undefined {
  const t = serviceTarget(raw, namespace);
  if ('invalid' in t || t.outside) return undefined;
  const ports = subject.servicePorts(t.service!);
  if (!ports?.length) return undefined;
  return ports.length === 1 ? ports[0] : ports.includes(8000) ? 8000 : undefined;
}

export function judgeProxy(subject: ProxySubject, config: Config): Finding {
  const ns = config.namespace;
  if (!subject.deployment)
    return coded(codes, 'FD-EVNIM-001', { deployment: subject.deploymentName, namespace: ns }, { evidence: [] });
  const value = subject.rendered ?? subject.running;
  if (!value) return coded(codes, 'FD-EVNIM-002', {}, { evidence: [] });
  const evidence: Evidence[] = [];
  const runningProblem = subject.running ? proxyProblem(subject.running, subject, ns) : undefined;
  const renderedProblem = subject.rendered ? proxyProblem(subject.rendered, subject, ns) : undefined;
  if (subject.running)
    evidence.push({
      label: `Deployment ${subject.deploymentName} ${NIM_PROXY_ENV}`,
      value: subject.running,
      tone: runningProblem ? 'bad' : 'good',
    });
  if (subject.cr)
    evidence.push({
      label: `NemoEvaluator ${subject.cr.metadata?.name} spec.env ${NIM_PROXY_ENV}`,
      value: subject.rendered ?? '(not set)',
      tone: renderedProblem ? 'bad' : 'good',
    });
  const t = serviceTarget(value, ns);
  if (!('invalid' in t) && t.service)
    evidence.push({
      label: `Service ${t.service} ports`,
      value: subject.servicePorts(t.service)?.join(', ') ?? '(no such Service)',
    });
  const problem = renderedProblem ?? runningProblem;
  if (problem)
    return coded(
      codes,
      'FD-EVNIM-003',
      { value: (renderedProblem ? subject.rendered : subject.running)!, problem },
      { evidence },
    );
  if ('invalid' in t || t.outside)
    return {
      status: 'pass',
      summary: `${NIM_PROXY_ENV} points outside this namespace (${value}); not checked further`,
      evidence,
    };
  return { status: 'pass', summary: `${NIM_PROXY_ENV} (${value}) names a port of Service ${t.service}`, evidence };
}

const carries = (d: KObject, container: string | undefined, value: string) =>
  [...(((d.spec?.template?.spec?.containers ?? []) as Container[]).find((c) => c.name === container)?.env ?? [])]
    .reverse()
    .find((e) => e.name === NIM_PROXY_ENV)?.value === value;

export default defineCheck<typeof sections, ProxySubject, undefined, EnvPlanData>({
  id: 'evaluator-nim-proxy-url',
  title: "Evaluator's NIM_PROXY_URL names a port its Service has",
  area: 'NeMo Evaluator',
  config: sections,
  codes,
  needs: ['deployments', 'configmaps', 'nemoevaluators', 'services', 'secrets'],
  explain: {
    symptom: 'Base evaluations fail to reach the model: connection refused or timeouts calling the NIM.',
    rootCause:
      "NIM_PROXY_URL on the NemoEvaluator CR names the NIM's Service and port. NIMs deployed by the NIM Operator listen on 8000, but the chart's default was port 80, which the Service does not have.",
    manualFix: (c) => [
      `oc get svc -n ${c.namespace}   # the NIM's Service and its port (8000 for NIMService)`,
      `oc edit nemoevaluator ${c.evaluator.crName} -n ${c.namespace}   # spec.env NIM_PROXY_URL=http://<nim service>:8000`,
      `oc rollout status deployment/${c.evaluator.deployment ?? c.evaluator.crName} -n ${c.namespace}`,
    ],
  },
  locate: locateProxySubject,
  judge: ({ subject, config }) => judgeProxy(subject, config),
  fix: {
    description:
      "Set NIM_PROXY_URL to the same Service on the port it has (spec.env on the NemoEvaluator CR, or on the Deployment when no CR owns it), then wait for the operator's re-render and the rollout.",
    touches: ['NemoEvaluator'],
    available({ subject, config, snapshot }) {
      const blocked = subject.flavour === 'operator' ? crPatchBlocked(subject.cr, snapshot) : undefined;
      if (blocked) return blocked;
      const value = subject.rendered ?? subject.running!;
      if (portToUse(value, subject, config.namespace) === undefined) {
        const t = serviceTarget(value, config.namespace);
        const ports = 'service' in t && t.service ? subject.servicePorts(t.service) : undefined;
        return {
          reason: ports?.length
            ? `Service ${'service' in t ? t.service : ''} has several ports (${ports.join(', ')}) and none is 8000: choose one by hand`
            : `the Service it names does not exist here; point ${NIM_PROXY_ENV} at your NIM's Service by hand`,
        };
      }
      if (!subject.cr && !subject.container) return { reason: 'the evaluator has no container to set it on' };
      return true;
    },
    permissions: (c) => [
      { verb: 'patch', group: 'apps.nvidia.com', resource: 'nemoevaluators', namespace: c.namespace },
      { verb: 'patch', group: 'apps', resource: 'deployments', namespace: c.namespace },
    ],
    plan({ subject, config, finding }) {
      const value = subject.rendered ?? subject.running!;
      if (finding.status === 'pass')
        return {
          noop: true,
          summary: `${NIM_PROXY_ENV} already names a port of its Service`,
          changes: [],
          risks: [],
          guards: [],
          data: { kind: 'cr', name: '', ops: [], value },
        };
      const next = withPort(value, portToUse(value, subject, config.namespace)!);
      if (subject.cr) return crEnvPlan({ ...subject, cr: subject.cr }, NIM_PROXY_ENV, next, subject.rendered);
      return deploymentEnvPlan(
        { ...subject, deployment: subject.deployment!, container: subject.container! },
        NIM_PROXY_ENV,
        next,
        subject.running,
        'Set only on the Deployment: a redeploy may reset it.',
      );
    },
    async readBack({ subject, config, reader, signal }, plan) {
      const d = await reader.get<KObject>(RESOURCES.deployments, config.namespace, subject.deploymentName, { signal });
      const state = [
        {
          step: `Deployment ${subject.deploymentName} carries ${NIM_PROXY_ENV}=${plan.data.value}`,
          done: carries(d, subject.container?.name, plan.data.value),
        },
      ];
      if (plan.data.kind === 'cr') {
        const cr = await reader.get<KObject>(RESOURCES.nemoevaluators, config.namespace, plan.data.name, { signal });
        state.unshift({
          step: `NemoEvaluator ${plan.data.name} spec.env set`,
          done: crEnv(cr, NIM_PROXY_ENV) === plan.data.value,
        });
      }
      return state;
    },
    steps({ subject, config, reader }, plan) {
      return [
        evaluatorEnvStep(
          { reader, config },
          { ...plan.data, deployment: subject.deployment ?? subject.deploymentName },
          {
            name: NIM_PROXY_ENV,
            rendered: (d) => carries(d, subject.container?.name, plan.data.value),
            what: `${NIM_PROXY_ENV}=${plan.data.value}`,
          },
        ),
      ];
    },
  },
});
