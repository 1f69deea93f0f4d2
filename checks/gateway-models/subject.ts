// gateway-models: what the check is about (its configuration, subject and probe answers) and where it finds them.
import '../shared/nim-resources';
import type { ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import type { KObject } from '../../lib/k8s/object';
import {
  baseModels,
  DataFlywheelSection,
  entityStoreBase,
  EntityStoreSection,
  type ModelAnswer,
  type ModelSource,
} from '../shared/entity-store';
import { gatewayBase, gatewayLoad, GatewaySection } from '../shared/gateway';
import {
  catchAllBody,
  describeLocation,
  generationOf,
  proxyTarget,
  readGatewayConfig,
  type GatewayConfigView,
  type Generation,
} from '../shared/gateway-config';

export const sections = { gateway: GatewaySection, dataFlywheel: DataFlywheelSection, entityStore: EntityStoreSection };
export type Config = ConfigOf<typeof sections>;

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

export const unreachable = (probe: GatewayProbe) =>
  probe.answers.length > 0 && probe.answers.every((a) => a.networkError);
export const answersJson = (a: Omit<ModelAnswer, 'model'> | undefined) =>
  !!a && a.status === 200 && /json/i.test(a.contentType ?? '');
export const describeAnswer = (a: Omit<ModelAnswer, 'model'> | undefined) =>
  !a ? 'not asked' : a.networkError ? a.networkError : `HTTP ${a.status}${a.body ? `: ${truncate(a.body, 160)}` : ''}`;

export const truncate = (s: string, n = 600) => (s.length > n ? `${s.slice(0, n)}… (${s.length} bytes)` : s);
