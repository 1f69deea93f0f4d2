// evaluator-entity-store-url: where the evaluator and its ENTITY_STORE_URL are (the subject).
import type { Snapshot } from '../../lib/engine/snapshot';
import { resolveEvaluator, type EvaluatorRefs } from '../shared/evaluator';
import { baseModels, type ModelSource } from '../shared/entity-store';
import { generationOf, readGatewayConfig, type Generation } from '../shared/gateway-config';
import { Config } from './url';

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
