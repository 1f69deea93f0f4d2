import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { judgeWith, planWith, outcome } from '../../lib/engine/testing';
import check, { COLLECTION_PATH, itemPath, type DeploymentProbe } from '.';
import { configuredFor, readGatewayConfig, type GatewayConfigView } from '../shared/gateway-config';
import { config, NS } from '../test-fixtures';

const MODEL = 'meta/llama-3.2-1b-instruct';
const ITEM = itemPath(NS, MODEL);
const df = {
  metadata: { name: 'df-config' },
  data: { 'config.yaml': `nmp_config:\n  nmp_namespace: ${NS}\nnims:\n  - model_name: ${MODEL}\n` },
};
const conf = (...locations: string[]) =>
  `events {}\nhttp {\n  server {\n    listen 8080;\n${locations.map((l) => `    ${l}\n`).join('')}    location / { return 404 '{"error":"Not Found"}'; }\n  }\n}\n`;
const REGEX_ITEM = `location ~ ^/v1/deployment/model-deployments/([^/]+)/([^/]+)$ { default_type application/json; return 200 '{"name":"$2","namespace":"$1","status_details":{"status":"ready"}}'; }`;
const world = (nginx: string) =>
  Snapshot.fromFixture(NS, {
    configmaps: [
      df,
      { metadata: { name: 'nemo-gateway-config', resourceVersion: '3' }, data: { 'nginx.conf': nginx } },
    ] as never,
    deployments: [{ metadata: { name: 'nemo-gateway', generation: 2 }, spec: { template: { metadata: {} } } }] as never,
  });
const ok = (path: string, body: string) => ({
  model: '',
  path,
  url: 'x',
  status: 200,
  contentType: 'application/json',
  body,
});
const notFound = (path: string) => ({
  model: '',
  path,
  url: 'x',
  status: 404,
  contentType: 'application/json',
  body: '{"error":"Not Found"}',
});
const READY = JSON.stringify({ name: 'x', status_details: { status: 'ready' } });
const cfg = () => config({ gateway: { url: 'http://gw' } });
const judge = (nginx: string, probe: DeploymentProbe) => judgeWith(check, world(nginx), probe, cfg());

describe('gateway-deployment-mocks', () => {
  it('asks for the model with "/" as "-" under the flywheel namespace', () => {
    expect(ITEM).toBe(`/v1/deployment/model-deployments/${NS}/meta-llama-3.2-1b-instruct`);
  });

  it.each([
    [
      'both answered',
      conf(REGEX_ITEM),
      { answers: [ok(ITEM, READY), ok(COLLECTION_PATH, '{"status":"success"}')] },
      'pass',
      /answers the flywheel's deployment status/,
    ],
    [
      'no route at all (the proxy generation)',
      conf(),
      { answers: [notFound(ITEM), notFound(COLLECTION_PATH)] },
      'FD-GWDM-004',
      /Every NIM fails at spin-up.*deployment status of meta\/llama-3\.2-1b-instruct.*HTTP 404/,
    ],
    [
      'the status is not ready',
      conf(),
      { answers: [ok(ITEM, '{"status_details":{"status":"pending"}}'), ok(COLLECTION_PATH, '{}')] },
      'FD-GWDM-004',
      /status_details\.status is "pending"/,
    ],
    [
      "only the collection is missing (the guide's gateway)",
      conf(REGEX_ITEM),
      { answers: [ok(ITEM, READY), notFound(COLLECTION_PATH)] },
      'FD-GWDM-004',
      /the deployment request \(\/v1\/deployment\/model-deployments\): HTTP 404/,
    ],
    [
      'configured, not loaded',
      conf(REGEX_ITEM, `location = ${COLLECTION_PATH} { default_type application/json; return 200 '{}'; }`),
      { answers: [notFound(ITEM), notFound(COLLECTION_PATH)] },
      'FD-GWDM-004',
      /the gateway has not loaded it/,
    ],
    [
      'the gateway cannot be reached',
      conf(),
      {
        answers: [
          { ...notFound(ITEM), networkError: 'ECONNREFUSED' },
          { ...notFound(COLLECTION_PATH), networkError: 'ECONNREFUSED' },
        ],
      },
      'FD-GWDM-003',
      /Cannot reach the gateway/,
    ],
  ] as const)('%s', (_name, nginx, probe, status, summary) => {
    const r = judge(nginx, probe as unknown as DeploymentProbe);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });

  it('adds exact-match answers that nginx picks over a broader regex, then restarts', async () => {
    const shadowing = `location ~ ^/v1/deployment { return 404; }`;
    const p = await planWith(
      check,
      world(conf(shadowing)),
      { answers: [notFound(ITEM), notFound(COLLECTION_PATH)] },
      cfg(),
    );
    expect(p.changes.map((c) => c.action)).toEqual(['patch', 'restart']);
    const view = readGatewayConfig(p.changes[0]!.after!) as GatewayConfigView;
    for (const path of [ITEM, COLLECTION_PATH])
      expect(configuredFor(view, path)).toMatchObject({ state: 'answers', answer: { status: 200 } });
  });

  it('only restarts when the ConfigMap already answers', async () => {
    const nginx = conf(REGEX_ITEM, `location = ${COLLECTION_PATH} { default_type application/json; return 200 '{}'; }`);
    const p = await planWith(check, world(nginx), { answers: [notFound(ITEM), notFound(COLLECTION_PATH)] }, cfg());
    expect(p.changes.map((c) => c.action)).toEqual(['restart']);
  });
});

describe('gateway-deployment-mocks: what it cannot know', () => {
  const withDf = (yaml: string | undefined) =>
    Snapshot.fromFixture(NS, {
      configmaps: (yaml === undefined
        ? []
        : [{ metadata: { name: 'df-config' }, data: { 'config.yaml': yaml } }]) as never,
      deployments: [],
    });
  it.each([
    ['no df-config', undefined, 'FD-GWDM-001', /not found: the flywheel's NIMs are not known/],
    ['no nmp_namespace', 'nims:\n  - model_name: a/b\n', 'FD-GWDM-001', /has no nmp_config\.nmp_namespace/],
    ['df-config that is not YAML', 'nims: [unclosed', 'FD-GWDM-001', /is not valid YAML/],
    ['no NIMs', `nmp_config:\n  nmp_namespace: ${NS}\nnims: []\n`, 'FD-GWDM-002', /lists no NIMs/],
  ])('%s', (_name, yaml, status, summary) => {
    const r = judgeWith(check, withDf(yaml), { answers: [] }, cfg());
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });
});
