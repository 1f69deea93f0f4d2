import { configSchemaFor } from '../lib/engine/factory';
import { findById, type AnyCheck } from '../lib/engine/types';
import customizerScc from './customizer-scc';
import evaluatorEntityStoreUrl from './evaluator-entity-store-url';
import evaluatorInitImage from './evaluator-init-image';
import evaluatorNimProxyUrl from './evaluator-nim-proxy-url';
import evaluatorSecretsDelete from './evaluator-secrets-delete';
import flywheelConfig from './flywheel-config';
import flywheelStatePersistence from './flywheel-state-persistence';
import gatewayDeploymentMocks from './gateway-deployment-mocks';
import gatewayModels from './gateway-models';
import gatewayUpstreams from './gateway-upstreams';
import modelsPvcOwnership from './models-pvc-ownership';
import nemoDatabaseSecrets from './nemo-database-secrets';
import nimModelSync from './nim-model-sync';
import nemoOperator from './nemo-operator';
import podHealth from './pod-health';
import referencedSecrets from './referenced-secrets';

/** The registry: every check, in the order reports list them. Ids are stable (CLI, URLs, reports). */
export const CHECKS: readonly AnyCheck[] = [
  evaluatorEntityStoreUrl,
  evaluatorSecretsDelete,
  evaluatorNimProxyUrl,
  evaluatorInitImage,
  modelsPvcOwnership,
  customizerScc,
  nemoOperator,
  gatewayUpstreams,
  gatewayModels,
  gatewayDeploymentMocks,
  referencedSecrets,
  nemoDatabaseSecrets,
  flywheelConfig,
  nimModelSync,
  flywheelStatePersistence,
  podHealth,
];

/** The whole configuration schema: the engine's settings plus every check's sections. */
export const CONFIG_SCHEMA = configSchemaFor(CHECKS);

export function findCheck(id: string): AnyCheck | undefined {
  return findById(CHECKS, id);
}
