// gateway-models: the verdict and its evidence.
import { coded, codedList, item, renderSummary, type CodedItem } from '../../lib/engine/codes';
import { codes } from './codes';
import { type Evidence, type Finding } from '../../lib/engine/types';
import { judgeAnswer } from '../shared/entity-store';
import { describeLocation } from '../shared/gateway-config';
import { classifyAll, type ModelCase } from './classify';
import { manualFixFor } from './manual';
import {
  answersJson,
  describeAnswer,
  truncate,
  unreachable,
  type Config,
  type GatewayProbe,
  type GatewaySubject,
} from './subject';

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

/** A model's finding, by its case; undefined for a model that is fine or unreachable upstream. */
function caseItem(c: ModelCase, subject: GatewaySubject): CodedItem | undefined {
  const view = subject.view!;
  switch (c.case) {
    case 'missing': {
      const winner = describeLocation(view, c.configured.state === 'missing' ? c.configured.winner : undefined);
      return item(codes, 'FD-GW-006', { model: c.model, winner });
    }
    case 'shadowed':
      return item(codes, 'FD-GW-007', {
        model: c.model,
        block: describeLocation(view, c.configured.block),
        winner: describeLocation(view, c.configured.winner),
      });
    case 'invalid': {
      const block = describeLocation(view, c.configured.block);
      return item(codes, 'FD-GW-008', { model: c.model, block, problems: c.problems.join('; ') });
    }
    case 'not-loaded': {
      const when =
        subject.configChangedAt && subject.gatewayStartedAt
          ? ` (the ConfigMap changed at ${subject.configChangedAt}, the gateway pod started at ${subject.gatewayStartedAt})`
          : '';
      return item(codes, 'FD-GW-009', { model: c.model, when });
    }
    case 'unknown-config':
      return item(codes, 'FD-GW-010', { model: c.model, why: subject.configError ?? 'no ConfigMap' });
    case 'drift':
      return item(codes, 'FD-GW-012', { model: c.model, problems: c.problems.join('; ') });
    case 'unregistered':
      return item(codes, 'FD-GW-002', { model: c.model });
    case 'invalid-record':
      return item(codes, 'FD-GW-011', { model: c.model, problems: c.problems.join('; ') });
    default:
      return undefined;
  }
}

function caseSentence(c: ModelCase, subject: GatewaySubject): string {
  if (c.case === 'upstream') return `the gateway gets no answer from the Entity Store for ${c.model} (${c.answer})`;
  const found = caseItem(c, subject);
  return found ? renderSummary(codes[found.code as keyof typeof codes], found.params) : '';
}

export function judgeGateway(subject: GatewaySubject, probe: GatewayProbe, config: Config): Finding {
  const { models, problems } = subject;
  const evidence: Evidence[] = [{ label: 'Gateway', value: subject.gatewayUrl }];
  if (problems.length) return coded(codes, 'FD-GW-001', { problems: problems.join('; ') }, { evidence });
  if (!models.length) return coded(codes, 'FD-GW-003', {}, { evidence });
  if (unreachable(probe)) {
    const error = String(probe.answers[0]!.networkError);
    return coded(codes, 'FD-GW-004', { url: subject.gatewayUrl, error, service: config.gateway.service }, { evidence });
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
    const models = upstream.map((c) => c.model).join(', ');
    return coded(
      codes,
      'FD-GW-005',
      { models, part: brokenPart(subject, probe, config) },
      {
        evidence,
        manualFix,
        rootCause:
          'In the proxy generation every /v1/models lookup goes through nginx to the Entity Store. nginx resolves the upstream per request through its `resolver` line: a resolver that is not the cluster DNS, an upstream naming another namespace or a missing Service, or Entity Store pods that are down all end in 502/504.',
      },
    );
  }
  if (failing.length) {
    const items = failing.map((c) => caseItem(c, subject)!);
    return codedList(codes, items, { evidence, manualFix }, 'Base-model evaluations fail: ');
  }
  if (drifting.length) {
    const items = drifting.map((c) => caseItem(c, subject)!);
    return codedList(codes, items, { evidence, manualFix }, 'Works until the next gateway restart: ');
  }
  return {
    status: 'pass',
    summary: `The gateway answers valid model metadata for ${models.map((m) => m.model).join(', ')}${subject.generation === 'proxy' ? ' (registered in the Entity Store)' : ''}`,
    evidence,
  };
}
