// gateway-upstreams: what the running gateway answers for each routed service (the probe).
import { parseServiceHost } from '../../lib/k8s/names';
import { fetchAnswer, type ModelAnswer } from '../shared/entity-store';
import { matchLocation, type Directive } from '../../lib/nginx';
import { describeLocation, proxyTarget, type GatewayConfigView } from '../shared/gateway-config';
import { UpstreamSubject } from './upstreams';

export interface UpstreamProbe {
  dns?: { namespace: string; name: string; ip: string };
  dnsError?: string;
  /** GET /v1/namespaces through the gateway: the Entity Store path, end to end. */
  namespaces?: Omit<ModelAnswer, 'model'>;
  /** The other services the flywheel calls through the gateway, each asked end to end. */
  services?: ServiceAnswer[];
}

/**
 * Besides the Entity Store, what the flywheel calls through the gateway (its data upload creates its
 * namespace in the Data Store; customizations and evaluations go to their services), with a read
 * that each answers: asked only where the config proxies the path somewhere.
 */
export const FLYWHEEL_SERVICES = [
  {
    service: 'Data Store',
    path: '/v1/datastore/namespaces',
    symptom: 'the data upload fails: "Unexpected response from Data Store during namespace creation: 502"',
  },
  { service: 'Customizer', path: '/v1/customization/configs', symptom: 'customization jobs cannot be created' },
  { service: 'Evaluator', path: '/v1/evaluation/jobs', symptom: 'evaluations cannot be started' },
] as const;

/** /v1/namespaces and every routed service's path, asked through the gateway at once (probe and fix alike). */
export async function askThroughGateway(subject: UpstreamSubject, view: GatewayConfigView, signal?: AbortSignal) {
  const routed = routedServices(view);
  const [namespaces, ...answers] = await Promise.all([
    fetchAnswer(subject.gatewayUrl, '/v1/namespaces', signal),
    ...routed.map((r) => fetchAnswer(subject.gatewayUrl, r.path, signal)),
  ]);
  const services: ServiceAnswer[] = routed.map((r, i) => ({
    service: r.service,
    path: r.path,
    location: r.location,
    answer: answers[i]!,
  }));
  return { namespaces, services };
}

export interface ServiceAnswer {
  service: (typeof FLYWHEEL_SERVICES)[number]['service'];
  path: string;
  /** The location nginx picks for the path ("line 12: location /v1/customization"). */
  location: string;
  answer: Omit<ModelAnswer, 'model'>;
}

/** The proxied services of FLYWHEEL_SERVICES the config routes somewhere, with the block that routes each. */
export function routedServices(view: GatewayConfigView) {
  return FLYWHEEL_SERVICES.flatMap((f) => {
    const loc = matchLocation(view.locations, f.path);
    return loc && proxyTarget(loc) ? [{ ...f, location: describeLocation(view, loc) }] : [];
  });
}

export const answersJson = (a: Omit<ModelAnswer, 'model'>) =>
  !a.networkError && !!a.status && a.status >= 200 && a.status < 300 && /json/i.test(a.contentType ?? '');

/**
 * Whether a routed service's answer through the gateway is as it should be: JSON, or a 404 of the
 * service's own, or no answer because its pods are down (warned about elsewhere, not the gateway's).
 */
export function serviceAnswers(subject: UpstreamSubject, location: string, a: Omit<ModelAnswer, 'model'>): boolean {
  if (answersJson(a) || a.status === 404) return true;
  const up = subject.upstreams.find((u) => u.location === location);
  const svc = up && subject.services.get(parseServiceHost(up.host)?.service ?? '');
  return !!svc && !svc.ready;
}

export const IP = /^\d{1,3}(\.\d{1,3}){3}$/;
export const resolverAddresses = (d: Directive | undefined) =>
  (d?.args ?? []).filter((a) => !a.includes('=')).map((a) => a.replace(/^\[|\]$/g, '').replace(/:\d+$/, ''));
