// gateway-models: the verdict and its evidence.
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
