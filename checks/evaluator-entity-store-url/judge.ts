// evaluator-entity-store-url: the verdict, by the answers when they could be asked, else by the name.
import { coded } from '../../lib/engine/codes';
import type { Snapshot } from '../../lib/engine/snapshot';
import { type Evidence, type Finding } from '../../lib/engine/types';
import { rolloutState } from '../../lib/k8s/wait';
import { effectiveEnv, ENTITY_STORE_ENV } from '../shared/evaluator';
import { judgeAnswer, type ModelAnswer } from '../shared/entity-store';
import { servicePortProblem } from '../shared/service-url';
import { Config, crEnvValue, crRenderedUrl, gatewayUrl, gatewayUrlProblem, isGatewayUrl } from './url';
import { EntityStoreSubject } from './subject';
import { UrlProbe } from './probe';
import { isGateway } from './fix-support';
import { codes } from './codes';

/**
 * Why the answers say nothing about the evaluator, or undefined when they do. A name that does not
 * resolve from here, or an override address that does not answer, is the doctor's view of the
 * network, not the evaluator's; in the cluster, a refused connection is what the evaluator gets too.
 */
export function noBehaviour(probe: UrlProbe | undefined): string | undefined {
  if (!probe) return 'the URL was not asked';
  if (!probe.target || !probe.answers.length) return probe.unprobeable ?? 'the URL was not asked';
  const errors = probe.answers.map((a) => a.networkError);
  if (!errors.every(Boolean)) return undefined;
  if (errors.every((e) => /ENOTFOUND|EAI_AGAIN/.test(e!)) || probe.target.via.startsWith('FD_SERVICE_URL_OVERRIDES'))
    return `${probe.target.base} (${probe.target.via}) did not answer from here: ${errors[0]}`;
  return undefined;
}

export function judgedByBehaviour(
  probe: UrlProbe | undefined,
): probe is UrlProbe & { target: { base: string; via: string } } {
  return noBehaviour(probe) === undefined;
}

export const describeModelAnswer = (a: ModelAnswer) =>
  `${a.networkError ?? `HTTP ${a.status}`}${judgeAnswer(a).length ? `: ${judgeAnswer(a).join('; ')}` : ': valid record'}${a.body ? `\nbody: ${a.body.slice(0, 300)}` : ''}`;

export function judgeEntityStoreUrl(
  ev: EntityStoreSubject,
  snapshot: Snapshot,
  config: Config,
  probe?: UrlProbe,
): Finding {
  const ns = config.namespace;
  if (!ev.deployment) {
    return coded(
      codes,
      'FD-EVES-001',
      { namespace: ns, deployment: ev.deploymentName },
      {
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
      },
    );
  }
  if (!ev.container) return coded(codes, 'FD-EVES-002', { deployment: ev.deploymentName }, { evidence: [] });
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
    return coded(codes, 'FD-EVES-003', { deployment: ev.deploymentName }, { evidence });
  }
  if (eff.unknownReason) {
    evidence.push({ label: ENTITY_STORE_ENV, value: `from ${eff.source}: ${eff.unknownReason}`, tone: 'info' });
    return coded(codes, 'FD-EVES-004', { reason: eff.unknownReason }, { evidence });
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
    return coded(codes, 'FD-EVES-005', { value: eff.value!, problem: portProblem }, { evidence });
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
    return coded(
      codes,
      'FD-EVES-006',
      { value: eff.value!, problem, why: byName },
      {
        evidence,
        rootCause: ev.cr
          ? `The NIM Operator renders ${ENTITY_STORE_ENV} from NemoEvaluator.spec.entitystore.endpoint and re-renders the Deployment whenever the CR changes, which drops any env set only on the Deployment (oc set env). The durable fix is spec.env on the CR.`
          : undefined,
      },
    );
  }
  const lasting = lastingProblem(ev, eff.value!, rollout);
  if (lasting) return { ...lasting, evidence: [...evidence, ...lasting.evidence] };
  if (ev.cr && !isGatewayUrl(crEnvValue(ev.cr) ?? '', config.gateway.service, ns, ports)) {
    evidence.push({
      label: `NemoEvaluator spec.env ${ENTITY_STORE_ENV}`,
      value: crEnvValue(ev.cr) ?? '(not set)',
      tone: 'bad',
    });
    return coded(codes, 'FD-EVES-007', {}, { evidence });
  }
  return {
    status: 'pass',
    summary: `The evaluator resolves models through the gateway (${eff.value}; judged by name only: ${byName})`,
    evidence,
  };
}

/** Right now, but not for long: the rollout carrying the value is not done. */
export function lastingProblem(
  ev: EntityStoreSubject,
  value: string,
  rollout: ReturnType<typeof rolloutState>,
): Finding | undefined {
  if (!rollout.done) return coded(codes, 'FD-EVES-008', { value, rollout: rollout.message }, { evidence: [] });
  return undefined;
}

/** The verdict by behaviour: does the URL answer a valid record for every base model (real-stack.md §2)? */
export function judgeByAnswers(
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
    const problem = judgeAnswer(first)
      .join('; ')
      .replace(/^request failed: /, '');
    return coded(
      codes,
      'FD-EVES-009',
      { value, models: names, problem },
      {
        evidence,
        rootCause: viaGateway
          ? `${ENTITY_STORE_ENV} points at the gateway, and the gateway is what answers no valid record: see check gateway-models.`
          : ev.generation === 'proxy'
            ? `${ENTITY_STORE_ENV} points straight at the Entity Store, which is fine once the base models are registered there; they are not. Nobody registers base NIMs automatically (the Data Flywheel never does).`
            : `${ENTITY_STORE_ENV} points at ${value}, which has no record for the base NIMs; in this gateway generation only the gateway's mock answers know them, so the evaluator must ask the gateway. A NeMo redeploy resets ${ENTITY_STORE_ENV} to the Entity Store.`,
      },
    );
  }
  const lasting = lastingProblem(ev, value, rolloutState(ev.deployment!));
  if (lasting) return { ...lasting, evidence };
  const rendered = ev.cr ? crRenderedUrl(ev.cr) : undefined;
  if (ev.cr && rendered !== undefined && rendered.replace(/\/$/, '') !== value.replace(/\/$/, '')) {
    evidence.push({ label: `NemoEvaluator ${ev.cr.metadata?.name} renders`, value: rendered, tone: 'bad' });
    return coded(codes, 'FD-EVES-010', { value, rendered }, { evidence });
  }
  return {
    status: 'pass',
    summary: `The evaluator's ${ENTITY_STORE_ENV} (${value}) answers a valid record for every base model (${ev.models.map((m) => m.model).join(', ')})`,
    evidence,
  };
}
