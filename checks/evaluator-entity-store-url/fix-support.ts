// evaluator-entity-store-url: what the fix writes and how it knows the Deployment carries it.
import type { KObject } from '../../lib/k8s/object';
import { ENTITY_STORE_ENV, envVarPatch, type Container, type EnvVar } from '../shared/evaluator';
import { Config, isGatewayUrl } from './url';
import { EntityStoreSubject } from './subject';

/** JSON Patch that sets ENTITY_STORE_URL in an env list at `base`, guarded by `test` ops. */
export const envPatch = (base: string, env: EnvVar[] | undefined, value: string) =>
  envVarPatch(base, env, ENTITY_STORE_ENV, value);

export const isGateway = (value: string | undefined, config: Config, ports?: number[]) =>
  isGatewayUrl(value ?? '', config.gateway.service, config.namespace, ports);

/** The rendered Deployment's evaluator container carries a gateway URL (the last env entry wins). */
export function carriesGatewayUrl(d: KObject, ev: EntityStoreSubject, config: Config): boolean {
  const c = (d.spec.template.spec.containers as Container[]).find((x) => x.name === ev.container?.name);
  return isGateway(
    [...(c?.env ?? [])].reverse().find((e) => e.name === ENTITY_STORE_ENV)?.value,
    config,
    ev.gatewayPorts,
  );
}
