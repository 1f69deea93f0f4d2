// gateway-upstreams: which upstreams are wrong, and the verdict.
import { coded } from '../../lib/engine/codes';
import { codes } from './codes';
import { type Evidence, type Finding } from '../../lib/engine/types';
import { parseServiceHost } from '../../lib/k8s/names';
import { type ModelAnswer } from '../shared/entity-store';
import { type Directive } from '../../lib/nginx';
import { Config, UpstreamSubject } from './upstreams';
import { FLYWHEEL_SERVICES, IP, UpstreamProbe, answersJson, resolverAddresses, serviceAnswers } from './answers';

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

export const entityStoreAnswers = (a: Omit<ModelAnswer, 'model'> | undefined) =>
  !!a && a.status === 200 && /json/i.test(a.contentType ?? '');

export function judgeUpstreams(subject: UpstreamSubject, probe: UpstreamProbe, config: Config): Finding {
  if (!subject.view)
    return coded(
      codes,
      'FD-GWUP-001',
      { reason: subject.configError ?? 'the gateway config cannot be read' },
      {
        evidence: [],
      },
    );
  if (!subject.upstreams.length) return coded(codes, 'FD-GWUP-002', {}, { evidence: [] });
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
  if (fails.length) return coded(codes, 'FD-GWUP-003', { problems: fails.map((p) => p.what).join('; ') }, { evidence });
  // End to end: a service whose upstream is configured right and whose pods are ready, yet the
  // gateway cannot get an answer from it (a down service is warned about above, not blamed here).
  const broken = (probe.services ?? []).filter((a) => !serviceAnswers(subject, a.location, a.answer));
  if (broken.length)
    return coded(
      codes,
      'FD-GWUP-004',
      {
        services: broken
          .map((a) => `the ${a.service} (GET ${a.path}: ${a.answer.networkError ?? `HTTP ${a.answer.status}`})`)
          .join(', '),
        symptoms: broken.map((a) => FLYWHEEL_SERVICES.find((f) => f.service === a.service)!.symptom).join('; '),
      },
      { evidence },
    );
  if (problems.length)
    return coded(codes, 'FD-GWUP-005', { problems: problems.map((p) => p.what).join('; ') }, { evidence });
  if (
    probe.namespaces &&
    !probe.namespaces.networkError &&
    !entityStoreAnswers(probe.namespaces) &&
    probe.namespaces.status !== 404
  )
    return coded(codes, 'FD-GWUP-006', { status: probe.namespaces.status ?? 'without a status' }, { evidence });
  if (!probe.dns)
    return coded(
      codes,
      'FD-GWUP-007',
      { services: config.clusterDns.services.map((s) => `${s.namespace}/${s.name}`).join(', ') },
      { evidence },
    );
  return {
    status: 'pass',
    summary: `The resolver is the cluster DNS and every upstream names a Service and port of ${config.namespace}`,
    evidence,
  };
}
