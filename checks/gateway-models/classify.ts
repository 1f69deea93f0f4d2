// gateway-models: each base model's case, from what the gateway serves against what its ConfigMap configures.
import { judgeAnswer, type ModelAnswer } from '../shared/entity-store';
import {
  configuredFor,
  modelPath,
  proxyTarget,
  type Configured,
  type GatewayConfigView,
} from '../shared/gateway-config';
import { answersJson, describeAnswer, type GatewayProbe, type GatewaySubject } from './subject';
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
