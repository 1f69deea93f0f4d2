// evaluator-entity-store-url: its configuration and what counts as the gateway URL.
import type { ConfigOf } from '../../lib/config';
import type { KObject } from '../../lib/k8s/object';
import { ENTITY_STORE_ENV, EvaluatorSection, type EnvVar } from '../shared/evaluator';
import { DataFlywheelSection, EntityStoreSection } from '../shared/entity-store';
import { GatewaySection } from '../shared/gateway';

export const sections = {
  evaluator: EvaluatorSection,
  gateway: GatewaySection,
  dataFlywheel: DataFlywheelSection,
  entityStore: EntityStoreSection,
};
export type Config = ConfigOf<typeof sections>;

/**
 * Why a URL does not reach the gateway Service from the evaluator's pod, in specific terms;
 * undefined when it does. Ports are the Service's (80 when the Service is not known).
 */
export function gatewayUrlProblem(
  raw: string,
  service: string,
  namespace: string,
  servicePorts: number[] = [80],
): string | undefined {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return `"${raw}" is not a URL`;
  }
  const forms = [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
  const host = url.hostname;
  const [first, second] = host.split('.');
  if (!forms.includes(host)) {
    if (first === service && second && second !== 'svc')
      return `it names Service ${service} in namespace ${second}, not in ${namespace}`;
    const what = /entity-?store/i.test(first ?? '') ? 'the Entity Store' : `${host}`;
    return `it points at ${what} instead of the gateway (${service}); base NIMs are not registered there, so lookups get 404`;
  }
  if (url.protocol !== 'http:')
    return `it uses ${url.protocol.replace(':', '')}; the gateway Service serves plain http`;
  if (url.username || url.password) return 'it carries credentials (user:password@), which the gateway does not take';
  const port = url.port === '' ? 80 : Number(url.port);
  if (!servicePorts.includes(port))
    return `port ${port} is not a port of Service ${service} (${servicePorts.join(', ')})`;
  if (url.pathname !== '' && url.pathname !== '/')
    return `it has the path ${url.pathname}; the evaluator appends /v1/models/... itself`;
  return undefined;
}

/** The forms of the gateway URL that resolve to the gateway Service from the evaluator's pod. */
export function isGatewayUrl(raw: string, service: string, namespace: string, servicePorts?: number[]): boolean {
  return gatewayUrlProblem(raw, service, namespace, servicePorts) === undefined;
}

export function crEnvValue(cr: KObject | undefined): string | undefined {
  const e = ((cr?.spec?.env ?? []) as EnvVar[]).filter((x) => x.name === ENTITY_STORE_ENV).pop();
  return e?.value;
}

/** The URL the operator renders from the CR: spec.env wins over spec.entitystore.endpoint. */
export function crRenderedUrl(cr: KObject): string | undefined {
  return crEnvValue(cr) ?? (cr.spec?.entitystore?.endpoint as string | undefined);
}

export function gatewayUrl(config: Config): string {
  return `http://${config.gateway.service}`;
}
