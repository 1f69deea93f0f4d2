import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import { guardFor, targetOf } from '../../lib/engine/plan-helpers';
import type { Snapshot } from '../../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding, type PlannedChange } from '../../lib/engine/types';
import type { JsonPatchOp } from '../../lib/k8s/client';
import { errorMessage, KubeApiError } from '../../lib/k8s/errors';
import { parseServiceHost } from '../../lib/k8s/names';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { fetchAnswer, type ModelAnswer } from '../shared/entity-store';
import { gatewayBase, gatewayEditSteps, gatewayLoad, GatewaySection } from '../shared/gateway';
import { matchLocation, spliceText, type Directive } from '../../lib/nginx';
import {
  configTextPatch,
  describeLocation,
  proxyTarget,
  readGatewayConfig,
  type GatewayConfigView,
} from '../shared/gateway-config';

/** Where the cluster DNS Service lives: OpenShift's first, then upstream Kubernetes'. */
export const ClusterDnsSection = z
  .object({
    services: z.array(z.object({ namespace: z.string(), name: z.string() })).default([
      { namespace: 'openshift-dns', name: 'dns-default' },
      { namespace: 'kube-system', name: 'kube-dns' },
    ]),
  })
  .prefault({});

const sections = { gateway: GatewaySection, clusterDns: ClusterDnsSection };
type Config = ConfigOf<typeof sections>;

/** One upstream address in the config: where it is written and what it names. */
export interface Upstream {
  /** "line 12: location ~ ^/v1/models" */
  location: string;
  address: string;
  host: string;
  port: number;
  /** Resolved per request through `resolver` (the address is in a variable), else at nginx start. */
  runtime: boolean;
  /** The directive holding the address (a `set`, or the `proxy_pass` itself) and which argument. */
  directive: Directive;
  argIndex: number;
}

export interface UpstreamSubject {
  gatewayUrl: string;
  configMap?: KObject;
  deployment?: KObject;
  view?: GatewayConfigView;
  configError?: string;
  resolver?: Directive;
  upstreams: Upstream[];
  /** Service name -> ports, and whether it has a ready endpoint. */
  services: Map<string, { ports: number[]; ready: boolean }>;
  /** The ConfigMap changed after the running gateway started: what it serves is the older config. */
  notLoaded: boolean;
}

function parseAddress(raw: string): { host: string; port: number } | undefined {
  const withScheme = /^[a-z]+:\/\//.test(raw) ? raw : `http://${raw}`;
  try {
    const u = new URL(withScheme);
    return { host: u.hostname, port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80 };
  } catch {
    return undefined;
  }
}

export function upstreamsOf(view: GatewayConfigView): Upstream[] {
  const out: Upstream[] = [];
  for (const loc of view.locations) {
    const block = loc.directive.block ?? [];
    const pass = block.find((d) => d.name === 'proxy_pass');
    const target = pass?.args[0];
    if (!pass || !target) continue;
    const variable = target.match(/\$(\w+)/)?.[1];
    const set = variable ? block.find((d) => d.name === 'set' && d.args[0] === `$${variable}`) : undefined;
    const address = set ? (set.args[1] ?? '') : target;
    if (variable && !set) continue; // set elsewhere (map, server level): not judged
    const parsed = parseAddress(address.replace(/\$\w+/g, ''));
    if (!parsed) continue;
    out.push({
      location: describeLocation(view, loc),
      address,
      ...parsed,
      runtime: !!variable,
      directive: set ?? pass,
      argIndex: set ? 1 : 0,
    });
  }
  return out;
}

export function locateUpstreamSubject(snapshot: Snapshot, config: Config): UpstreamSubject {
  const cm = snapshot.find('configmaps', config.gateway.configMap);
  const raw = cm?.data?.[config.gateway.configKey];
  const read = raw === undefined ? undefined : readGatewayConfig(raw);
  const view = read && 'conf' in read ? read : undefined;
  const services = new Map<string, { ports: number[]; ready: boolean }>();
  const slices = snapshot.list('endpointslices');
  for (const svc of snapshot.list('services')) {
    const name = svc.metadata!.name!;
    const ready = slices
      .filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === name)
      .some((s) =>
        ((s.endpoints ?? []) as Array<{ conditions?: { ready?: boolean } }>).some((e) => e.conditions?.ready !== false),
      );
    services.set(name, { ports: ((svc.spec?.ports ?? []) as Array<{ port: number }>).map((p) => p.port), ready });
  }
  const resolver = view
    ? ((view.server?.block ?? []).find((d) => d.name === 'resolver') ??
      (view.http?.block ?? []).find((d) => d.name === 'resolver'))
    : undefined;
  return {
    gatewayUrl: gatewayBase(config),
    configMap: cm,
    deployment: snapshot.find('deployments', config.gateway.deployment),
    view,
    configError:
      read && 'error' in read
        ? read.error
        : raw === undefined
          ? `ConfigMap ${config.gateway.configMap} key ${config.gateway.configKey} not found`
          : undefined,
    resolver,
    upstreams: view ? upstreamsOf(view) : [],
    services,
    notLoaded: gatewayLoad(snapshot, config, cm).notLoaded,
  };
}

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
async function askThroughGateway(subject: UpstreamSubject, view: GatewayConfigView, signal?: AbortSignal) {
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

const answersJson = (a: Omit<ModelAnswer, 'model'>) =>
  !a.networkError && !!a.status && a.status >= 200 && a.status < 300 && /json/i.test(a.contentType ?? '');

/**
 * Whether a routed service's answer through the gateway is as it should be: JSON, or a 404 of the
 * service's own, or no answer because its pods are down (warned about elsewhere, not the gateway's).
 */
function serviceAnswers(subject: UpstreamSubject, location: string, a: Omit<ModelAnswer, 'model'>): boolean {
  if (answersJson(a) || a.status === 404) return true;
  const up = subject.upstreams.find((u) => u.location === location);
  const svc = up && subject.services.get(parseServiceHost(up.host)?.service ?? '');
  return !!svc && !svc.ready;
}

const IP = /^\d{1,3}(\.\d{1,3}){3}$/;
const resolverAddresses = (d: Directive | undefined) =>
  (d?.args ?? []).filter((a) => !a.includes('=')).map((a) => a.replace(/^\[|\]$/g, '').replace(/:\d+$/, ''));

/** One problem with one upstream (or the resolver), and the edit that fixes it when there is one. */
export interface UpstreamProblem {
  what: string;
  severity: 'fail' | 'warn';
  /** The new text of one directive argument. */
  edit?: { directive: Directive; argIndex: number; value: string };
}

export function upstreamProblems(subject: UpstreamSubject, probe: UpstreamProbe, config: Config): UpstreamProblem[] {
  const ns = config.namespace;
  const problems: UpstreamProblem[] = [];
  const runtime = subject.upstreams.filter((u) => u.runtime);
  if (runtime.length) {
    const addrs = resolverAddresses(subject.resolver);
    if (!subject.resolver)
      problems.push({
        what: `no resolver line, yet ${runtime.length} upstream${runtime.length > 1 ? 's are' : ' is'} resolved per request: nginx cannot resolve them`,
        severity: 'fail',
      });
    else if (probe.dns && !addrs.includes(probe.dns.ip))
      problems.push({
        what: `resolver ${addrs.join(' ')} is not the cluster DNS (Service ${probe.dns.namespace}/${probe.dns.name} is ${probe.dns.ip}): every upstream in a variable fails with 502`,
        severity: 'fail',
        edit: {
          directive: subject.resolver,
          argIndex: subject.resolver.args.findIndex((a) => !a.includes('=')),
          value: probe.dns.ip,
        },
      });
  }
  for (const u of subject.upstreams) {
    if (IP.test(u.host)) continue;
    const host = parseServiceHost(u.host);
    if (!host) continue; // an external name: not ours to judge
    const { service: svcName, namespace: svcNs, svc } = host;
    const full = `${svcName}.${ns}.svc.cluster.local:${u.port}`;
    const here = subject.services.get(svcName!);
    const replace = (value: string) => ({
      directive: u.directive,
      argIndex: u.argIndex,
      value: u.address.includes(`${u.host}:${u.port}`)
        ? u.address.replace(`${u.host}:${u.port}`, value)
        : u.address.replace(u.host, value),
    });
    if (svcNs && svcNs !== ns) {
      problems.push({
        what: `${u.location} sends to ${u.host}: namespace ${svcNs}, not ${ns} (a config copied from another install?)`,
        severity: 'fail',
        edit: here?.ports.includes(u.port) ? replace(full) : undefined,
      });
      continue;
    }
    if (u.runtime && !(svc && u.host.endsWith('.svc.cluster.local'))) {
      problems.push({
        what: `${u.location} sends to ${u.host} through the resolver, which uses no search domains: only ${svcName}.${ns}.svc.cluster.local resolves`,
        severity: 'fail',
        edit: here?.ports.includes(u.port) ? replace(full) : undefined,
      });
      continue;
    }
    if (!here)
      problems.push({
        what: `${u.location} sends to Service ${svcName}, which does not exist in ${ns}`,
        severity: 'fail',
      });
    else if (!here.ports.includes(u.port))
      problems.push({
        what: `${u.location} sends to port ${u.port}, not a port of Service ${svcName} (${here.ports.join(', ')})`,
        severity: 'fail',
      });
    else if (!here.ready)
      problems.push({
        what: `Service ${svcName} (for ${u.location}) has no ready endpoints: its pods are down`,
        severity: 'warn',
      });
  }
  return problems;
}

const entityStoreAnswers = (a: Omit<ModelAnswer, 'model'> | undefined) =>
  !!a && a.status === 200 && /json/i.test(a.contentType ?? '');

export function judgeUpstreams(subject: UpstreamSubject, probe: UpstreamProbe, config: Config): Finding {
  if (!subject.view)
    return { status: 'error', summary: subject.configError ?? 'the gateway config cannot be read', evidence: [] };
  if (!subject.upstreams.length)
    return { status: 'skipped', summary: 'The gateway proxies nothing: no upstreams to check', evidence: [] };
  const evidence: Evidence[] = [
    { label: 'resolver', value: subject.resolver ? subject.resolver.args.join(' ') : '(none)' },
    {
      label: 'Cluster DNS',
      value: probe.dns ? `${probe.dns.namespace}/${probe.dns.name} ${probe.dns.ip}` : (probe.dnsError ?? 'not found'),
      tone: probe.dns ? 'good' : 'info',
    },
  ];
  for (const u of subject.upstreams) {
    const svc = subject.services.get(u.host.split('.')[0]!);
    evidence.push({
      label: u.location,
      value: `${u.address}${u.runtime ? ' (resolved per request)' : ''}${svc ? `; Service ports ${svc.ports.join(', ')}, ${svc.ready ? 'ready endpoints' : 'no ready endpoints'}` : ''}`,
    });
  }
  if (probe.namespaces)
    evidence.push({
      label: 'GET /v1/namespaces through the gateway',
      value:
        probe.namespaces.networkError ??
        `HTTP ${probe.namespaces.status}${probe.namespaces.body ? `: ${probe.namespaces.body.slice(0, 200)}` : ''}`,
      tone: entityStoreAnswers(probe.namespaces) ? 'good' : 'bad',
    });
  for (const a of probe.services ?? [])
    evidence.push({
      label: `GET ${a.path} through the gateway (${a.service})`,
      value:
        a.answer.networkError ?? `HTTP ${a.answer.status}${a.answer.body ? `: ${a.answer.body.slice(0, 200)}` : ''}`,
      tone: answersJson(a.answer) ? 'good' : 'bad',
    });
  const problems = upstreamProblems(subject, probe, config);
  const fails = problems.filter((p) => p.severity === 'fail');
  if (fails.length)
    return {
      status: 'fail',
      summary: `Proxied requests fail (502/504: "Unexpected response from Entity Store during namespace creation: 502"): ${fails.map((p) => p.what).join('; ')}`,
      evidence,
    };
  // End to end: a service whose upstream is configured right and whose pods are ready, yet the
  // gateway cannot get an answer from it (a down service is warned about above, not blamed here).
  const broken = (probe.services ?? []).filter((a) => !serviceAnswers(subject, a.location, a.answer));
  if (broken.length)
    return {
      status: 'fail',
      summary: `The gateway gets no answer from ${broken.map((a) => `the ${a.service} (GET ${a.path}: ${a.answer.networkError ?? `HTTP ${a.answer.status}`})`).join(', ')}: ${broken.map((a) => FLYWHEEL_SERVICES.find((f) => f.service === a.service)!.symptom).join('; ')}`,
      evidence,
    };
  if (problems.length) return { status: 'warn', summary: problems.map((p) => p.what).join('; '), evidence };
  if (
    probe.namespaces &&
    !probe.namespaces.networkError &&
    !entityStoreAnswers(probe.namespaces) &&
    probe.namespaces.status !== 404
  )
    return {
      status: 'fail',
      summary: `The upstreams are configured right, yet GET /v1/namespaces through the gateway answers HTTP ${probe.namespaces.status}: the running gateway may predate the config (restart it) or the Entity Store fails`,
      evidence,
    };
  if (!probe.dns)
    return {
      status: 'warn',
      summary: `Upstreams name existing Services, but the cluster DNS Service was not found (${config.clusterDns.services.map((s) => `${s.namespace}/${s.name}`).join(', ')}), so the resolver could not be compared`,
      evidence,
    };
  return {
    status: 'pass',
    summary: `The resolver is the cluster DNS and every upstream names a Service and port of ${config.namespace}`,
    evidence,
  };
}

/** The config text with each problem's argument replaced (directives edited from the last to the first). */
export function editedUpstreams(view: GatewayConfigView, problems: UpstreamProblem[]): string {
  let out = view.conf;
  const edits = problems.filter((p) => p.edit).map((p) => p.edit!);
  const byDirective = new Map<Directive, string[]>();
  for (const e of edits) {
    const args = byDirective.get(e.directive) ?? [...e.directive.args];
    args[e.argIndex] = e.value;
    byDirective.set(e.directive, args);
  }
  for (const [d, args] of [...byDirective].sort((a, b) => b[0].start - a[0].start))
    out = spliceText(out, d.start, d.end, `${d.name} ${args.join(' ')};`);
  return out;
}

interface UpstreamPlanData {
  ops: JsonPatchOp[];
}

export default defineCheck<typeof sections, UpstreamSubject, UpstreamProbe, UpstreamPlanData>({
  id: 'gateway-upstreams',
  title: "Gateway's resolver and upstreams reach this namespace's Services",
  area: 'Gateway',
  config: sections,
  needs: ['configmaps', 'deployments', 'services', 'endpointslices', 'pods'],
  explain: {
    jobSignatures: [
      {
        pattern: /Unexpected response from (Entity Store|Data Store) during namespace creation: (50[234])/,
        cause: 'the gateway could not reach the $1 (HTTP $2)',
      },
    ],
    symptom:
      'Mocked gateway paths answer but proxied ones return 502/504; the flywheel logs "Unexpected response from Entity Store during namespace creation: 502".',
    rootCause:
      'nginx resolves upstreams held in variables per request, through its `resolver` line, with no search domains. A resolver copied from another cluster, an upstream naming another namespace (a copied config) or a short Service name, or a Service or port that does not exist, all end in 502.',
    manualFix: (c) => [
      `oc get svc -n openshift-dns dns-default -o jsonpath='{.spec.clusterIP}'   # (kube-system/kube-dns off OpenShift): the resolver address`,
      `oc edit configmap ${c.gateway.configMap} -n ${c.namespace}   # resolver <that IP> valid=30s; upstreams as <service>.${c.namespace}.svc.cluster.local:<port>`,
      `oc rollout restart deployment/${c.gateway.deployment} -n ${c.namespace}`,
      `oc run curl-test --rm -i --restart=Never --image=curlimages/curl -n ${c.namespace} -- curl -s http://${c.gateway.service}/v1/namespaces`,
    ],
  },
  probePermissions: (c) =>
    c.clusterDns.services.map((s) => ({ verb: 'get', group: '', resource: 'services', name: s.name })),
  locate: locateUpstreamSubject,
  async probe({ subject, client, config, signal }) {
    const out: UpstreamProbe = {};
    for (const s of config.clusterDns.services) {
      try {
        const svc = await client.get<KObject>(RESOURCES.services, s.namespace, s.name, { signal });
        if (svc.spec?.clusterIP) {
          out.dns = { ...s, ip: svc.spec.clusterIP as string };
          break;
        }
      } catch (e) {
        if (!(e instanceof KubeApiError && e.isNotFound)) out.dnsError = errorMessage(e);
      }
    }
    if (subject.view) Object.assign(out, await askThroughGateway(subject, subject.view, signal));
    return out;
  },
  judge: ({ subject, probe, config }) => judgeUpstreams(subject, probe, config),
  fix: {
    description:
      "Set the resolver to the cluster DNS Service's address and point upstreams at <service>.<namespace>.svc.cluster.local in this namespace (only where that Service and port exist), guarded on the ConfigMap's text; restart the gateway and wait until GET /v1/namespaces answers.",
    touches: ['gateway-config'],
    available({ subject, probe, config }) {
      if (!subject.configMap || !subject.deployment || !subject.view)
        return { reason: subject.configError ?? `the gateway ConfigMap or Deployment is missing` };
      const fails = upstreamProblems(subject, probe, config).filter((p) => p.severity === 'fail');
      const manual = fails.filter((p) => !p.edit);
      if (manual.length) return { reason: `needs your decision: ${manual.map((p) => p.what).join('; ')}` };
      if (!fails.length)
        // The config is right but the running nginx started before it changed: a restart loads it.
        return subject.notLoaded
          ? true
          : { reason: 'the config is right and loaded; look at the services behind the gateway: nothing to rewrite' };
      return true;
    },
    permissions: (c) => [
      { verb: 'patch', group: '', resource: 'configmaps', namespace: c.namespace, name: c.gateway.configMap },
      { verb: 'patch', group: 'apps', resource: 'deployments', namespace: c.namespace, name: c.gateway.deployment },
    ],
    plan({ subject, probe, config, finding }) {
      const cm = subject.configMap!;
      const { guard, test } = guardFor('ConfigMap', cm);
      const problems = upstreamProblems(subject, probe, config).filter((p) => p.edit);
      if (finding.status !== 'pass' && !problems.length && subject.notLoaded)
        return {
          noop: false,
          summary: `Only restart ${config.gateway.deployment}: ConfigMap ${config.gateway.configMap} is right, but the running gateway started before it changed`,
          changes: [
            {
              target: targetOf('Deployment', subject.deployment!),
              action: 'restart',
              description: 'rollout restart so nginx loads the config',
            },
          ],
          risks: [
            `Restarts the gateway (${config.gateway.deployment}); requests in flight through it may fail during the rollout.`,
          ],
          guards: [guard, guardFor('Deployment', subject.deployment!).guard],
          data: { ops: [] },
        };
      if (finding.status === 'pass' || !problems.length)
        return {
          noop: true,
          summary: 'Nothing to rewrite',
          changes: [],
          risks: [],
          guards: [guard],
          data: { ops: [] },
        };
      const conf = subject.view!.conf;
      const next = editedUpstreams(subject.view!, problems);
      const ops = configTextPatch(test, config.gateway.configKey, conf, next);
      const changes: PlannedChange[] = [
        {
          target: targetOf('ConfigMap', cm),
          action: 'patch',
          description: problems.map((p) => p.what.split(':')[0]).join('; '),
          before: conf,
          after: next,
          patch: ops,
        },
        {
          target: targetOf('Deployment', subject.deployment!),
          action: 'restart',
          description: 'rollout restart so nginx loads the config',
        },
      ];
      return {
        noop: false,
        summary: `Rewrite ${problems.length} address${problems.length > 1 ? 'es' : ''} in ConfigMap ${config.gateway.configMap} and restart ${config.gateway.deployment}`,
        changes,
        risks: [
          `Restarts the gateway (${config.gateway.deployment}); requests in flight through it may fail during the rollout.`,
        ],
        guards: [guard, guardFor('Deployment', subject.deployment!).guard],
        data: { ops },
      };
    },
    steps({ subject, config }, plan) {
      // Served means every routed service answers: /v1/namespaces alone can still be answered by the
      // old nginx (its Entity Store path worked) before the new one has loaded the corrected config.
      return gatewayEditSteps(config, plan.data.ops, 'upstreams', async (signal) => {
        if (!subject.view) return true;
        const asked = await askThroughGateway(subject, subject.view, signal);
        return (
          entityStoreAnswers(asked.namespaces) &&
          asked.services.every((a) => serviceAnswers(subject, a.location, a.answer))
        );
      });
    },
  },
});
