import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { availabilityWith, judgeWith, planWith, outcome } from '../../lib/engine/testing';
import check, { routedServices, type UpstreamProbe } from '.';
import { readGatewayConfig, type GatewayConfigView } from '../shared/gateway-config';
import { config, NS } from '../test-fixtures';

const conf = (resolver: string | undefined, ...upstreams: string[]) =>
  `events {}\nhttp {\n${resolver ? `  resolver ${resolver} valid=30s;\n` : ''}  server {\n    listen 8080;\n${upstreams
    .map((u, i) => `    location /u${i} {\n      set $up${i} ${u};\n      proxy_pass http://$up${i};\n    }\n`)
    .join('')}    location / { return 404; }\n  }\n}\n`;
const ES = `nemoentitystore-sample.${NS}.svc.cluster.local:8000`;
const svc = (name: string, ports: number[]) => ({
  metadata: { name },
  spec: { ports: ports.map((port) => ({ port })) },
});
const slice = (service: string, ready: boolean) => ({
  metadata: { name: `${service}-x`, labels: { 'kubernetes.io/service-name': service } },
  endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready } }],
});
/** A running gateway pod that started before (stale) or after the ConfigMap's last write at 10:00. */
const gatewayPod = (startedAt: string) => ({
  metadata: { name: 'nemo-gateway-5d8f7-abcde' },
  status: { phase: 'Running', startTime: startedAt },
});
const world = (nginx: string, ready = true, services = [svc('nemoentitystore-sample', [8000])], pods: object[] = []) =>
  Snapshot.fromFixture(NS, {
    configmaps: [
      {
        metadata: {
          name: 'nemo-gateway-config',
          resourceVersion: '4',
          managedFields: [{ manager: 'kubectl', time: '2026-12-04T10:00:00Z' }],
        },
        data: { 'nginx.conf': nginx },
      },
    ] as never,
    deployments: [{ metadata: { name: 'nemo-gateway', generation: 1 }, spec: { template: { metadata: {} } } }] as never,
    services: services as never,
    endpointslices: [slice('nemoentitystore-sample', ready)] as never,
    pods: pods as never,
  });
const DNS: UpstreamProbe = {
  dns: { namespace: 'openshift-dns', name: 'dns-default', ip: '172.30.0.10' },
  namespaces: { url: 'x', status: 200, contentType: 'application/json', body: '{"data":[]}' },
};
const bad502 = { ...DNS, namespaces: { url: 'x', status: 502, contentType: 'text/html', body: 'Bad Gateway' } };
const judge = (s: Snapshot, p: UpstreamProbe) => judgeWith(check, s, p, config());

describe('gateway-upstreams', () => {
  it.each([
    [
      'resolver is the cluster DNS, upstream a Service here',
      world(conf('172.30.0.10', ES)),
      DNS,
      'pass',
      /resolver is the cluster DNS/,
      undefined,
    ],
    [
      'a resolver copied from another cluster',
      world(conf('10.96.0.10', ES)),
      bad502,
      'FD-GWUP-003',
      /resolver 10\.96\.0\.10 is not the cluster DNS \(Service openshift-dns\/dns-default is 172\.30\.0\.10\)/,
      true,
    ],
    [
      'no resolver, upstreams in variables',
      world(conf(undefined, ES)),
      bad502,
      'FD-GWUP-003',
      /no resolver line/,
      /needs your decision/,
    ],
    [
      'an upstream in another namespace (a copied config)',
      world(conf('172.30.0.10', 'nemoentitystore-sample.other.svc.cluster.local:8000')),
      bad502,
      'FD-GWUP-003',
      /namespace other, not flywheel/,
      true,
    ],
    [
      'a short name through the resolver',
      world(conf('172.30.0.10', 'nemoentitystore-sample:8000')),
      bad502,
      'FD-GWUP-003',
      /uses no search domains/,
      true,
    ],
    [
      'a Service that does not exist',
      world(conf('172.30.0.10', `nemocustomizer-sample.${NS}.svc.cluster.local:8000`)),
      bad502,
      'FD-GWUP-003',
      /Service nemocustomizer-sample, which does not exist/,
      /needs your decision/,
    ],
    [
      'a port the Service does not have',
      world(conf('172.30.0.10', `nemoentitystore-sample.${NS}.svc.cluster.local:80`)),
      bad502,
      'FD-GWUP-003',
      /port 80, not a port of Service nemoentitystore-sample/,
      /needs your decision/,
    ],
    [
      'no ready endpoints: the pods are down',
      world(conf('172.30.0.10', ES), false),
      bad502,
      'FD-GWUP-005',
      /no ready endpoints/,
      undefined,
    ],
    [
      'the config is right but the Entity Store path answers 502',
      world(conf('172.30.0.10', ES)),
      bad502,
      'FD-GWUP-006',
      /configured right, yet GET \/v1\/namespaces/,
      /nothing to rewrite/,
    ],
    [
      'the config is right, but the running gateway started before it changed: a restart is offered',
      world(conf('172.30.0.10', ES), true, undefined, [gatewayPod('2026-12-04T09:00:00Z')]),
      bad502,
      'FD-GWUP-006',
      /configured right, yet GET \/v1\/namespaces/,
      true,
    ],
    [
      'the config is right and loaded (the gateway started after it changed): nothing to do here',
      world(conf('172.30.0.10', ES), true, undefined, [gatewayPod('2026-12-04T11:00:00Z')]),
      bad502,
      'FD-GWUP-006',
      /configured right, yet GET \/v1\/namespaces/,
      /nothing to rewrite/,
    ],
    [
      'no cluster DNS Service found',
      world(conf('172.30.0.10', ES)),
      { namespaces: DNS.namespaces },
      'FD-GWUP-007',
      /cluster DNS Service was not found/,
      undefined,
    ],
  ] as const)('%s', (_name, snapshot, probe, status, summary, fix) => {
    const r = judge(snapshot, probe);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
    if (fix === undefined) return;
    const a = availabilityWith(check, snapshot, probe, config());
    if (fix === true) expect(a).toEqual({ available: true });
    else expect(a.reason).toMatch(fix);
  });

  it('rewrites the resolver and the upstreams, keeping everything else', async () => {
    const nginx = conf(
      '10.96.0.10',
      'nemoentitystore-sample.other.svc.cluster.local:8000',
      'nemoentitystore-sample:8000',
    );
    const p = await planWith(check, world(nginx), bad502, config());
    const after = p.changes[0]!.after!;
    expect(after).toContain('resolver 172.30.0.10 valid=30s;');
    expect(after.match(new RegExp(`set \\$up\\d ${ES.replace(/\./g, '\\.')};`, 'g'))).toHaveLength(2);
    expect(after).toContain('location / { return 404; }');
    expect(p.changes.map((c) => c.action)).toEqual(['patch', 'restart']);
    const fixed = judge(world(after), DNS);
    expect(fixed.status).toBe('pass');
  });
});

describe('gateway-upstreams: nothing to judge', () => {
  it.each([
    ['a gateway that proxies nothing', conf('172.30.0.10'), 'FD-GWUP-002', /proxies nothing/],
    ['a config nginx cannot parse', 'server { location / { return 404; ', 'FD-GWUP-001', /cannot be parsed/],
  ])('%s', (_name, nginx, status, summary) => {
    const r = judge(world(nginx), DNS);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });
});

// Every service the flywheel calls through the gateway gets its own end-to-end answer.
describe('gateway-upstreams: the services behind the Entity Store, end to end', () => {
  const DS = `nemodatastore-sample.${NS}.svc.cluster.local:8000`;
  const nginx = `events {}\nhttp {\n  resolver 172.30.0.10 valid=30s;\n  server {\n    listen 8080;\n    location ~ ^/v1/(namespaces|models) {\n      set $es ${ES};\n      proxy_pass http://$es;\n    }\n    location ~ ^/v1/(datastore|hf) {\n      set $ds ${DS};\n      proxy_pass http://$ds;\n    }\n    location / { return 404; }\n  }\n}\n`;
  const snap = (dsReady: boolean) =>
    Snapshot.fromFixture(NS, {
      configmaps: [
        { metadata: { name: 'nemo-gateway-config', resourceVersion: '4' }, data: { 'nginx.conf': nginx } },
      ] as never,
      deployments: [
        { metadata: { name: 'nemo-gateway', generation: 1 }, spec: { template: { metadata: {} } } },
      ] as never,
      services: [svc('nemoentitystore-sample', [8000]), svc('nemodatastore-sample', [8000])] as never,
      endpointslices: [slice('nemoentitystore-sample', true), slice('nemodatastore-sample', dsReady)] as never,
      pods: [] as never,
    });
  const view = readGatewayConfig(nginx) as GatewayConfigView;
  const probeWith = (status: number, contentType = 'application/json'): UpstreamProbe => ({
    ...DNS,
    services: routedServices(view).map((r) => ({
      service: r.service,
      path: r.path,
      location: r.location,
      answer: { url: 'x', status, contentType, body: status === 200 ? '{"namespaces":[]}' : 'Bad Gateway' },
    })),
  });

  it('asks only the services the config routes somewhere', () => {
    expect(routedServices(view).map((r) => r.path)).toEqual(['/v1/datastore/namespaces']);
  });

  it.each<[string, boolean, UpstreamProbe, string, RegExp]>([
    ['the Data Store answers', true, probeWith(200), 'pass', /resolver is the cluster DNS/],
    [
      'the Data Store path answers 502 while its pods are ready',
      true,
      probeWith(502, 'text/html'),
      'FD-GWUP-004',
      /no answer from the Data Store \(GET \/v1\/datastore\/namespaces: HTTP 502\): the data upload fails: "Unexpected response from Data Store during namespace creation: 502"/,
    ],
    [
      'the Data Store is down: warned about its pods, not blamed on the gateway',
      false,
      probeWith(502, 'text/html'),
      'FD-GWUP-005',
      /Service nemodatastore-sample .* has no ready endpoints/,
    ],
  ])('%s', (_, ready, probe, status, summary) => {
    const r = judge(snap(ready), probe);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });
});
