// evaluator-entity-store-url: what that URL answers for each base model (the probe).
import type { Snapshot } from '../../lib/engine/snapshot';
import { effectiveEnv, ENTITY_STORE_ENV } from '../shared/evaluator';
import { probeModels, reachableUrl, type ModelAnswer } from '../shared/entity-store';
import { gatewayBase } from '../shared/gateway';
import { Config } from './url';
import { EntityStoreSubject } from './subject';
import { isGateway } from './fix-support';

/** What the evaluator's URL answers for each base model, asked the way the evaluator asks. */
export interface UrlProbe {
  /** Where the requests went, or why the URL cannot be reached from where the doctor runs. */
  target?: { base: string; via: string };
  unprobeable?: string;
  answers: ModelAnswer[];
  /** The same questions through the gateway, when the URL is not the gateway (would pointing there help?). */
  gatewayAnswers: ModelAnswer[];
}

export const NO_ANSWERS: UrlProbe = { answers: [], gatewayAnswers: [] };

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
