import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { availabilityWith, judgeWith, planWith, outcome } from '../../lib/engine/testing';
import { KubeApiError } from '../../lib/k8s/errors';
import check, { envPatch, gatewayUrlProblem, isGatewayUrl, type UrlProbe } from '.';
import { reachableUrl, type ModelAnswer } from '../shared/entity-store';
import { config, evaluatorCr, evaluatorDeployment, NS } from '../test-fixtures';

const GATEWAY = { name: 'ENTITY_STORE_URL', value: 'http://nemo-gateway' };
const GATEWAY_SVC = { metadata: { name: 'nemo-gateway' }, spec: { ports: [{ port: 80, targetPort: 8080 }] } };
/** The URL could not be asked from here: the verdict falls back to the host name. */
const NAME_ONLY: UrlProbe = { unprobeable: 'no address from here (test)', answers: [], gatewayAnswers: [] };
const judge = (snapshot: Snapshot) => judgeWith(check, snapshot, NAME_ONLY, config());
const snap = (deployments: unknown[], extra: Record<string, unknown> = {}) =>
  Snapshot.fromFixture(NS, {
    deployments: deployments as never,
    configmaps: [],
    nemoevaluators: [],
    nimservices: [],
    services: [GATEWAY_SVC] as never,
    ...extra,
  });

describe('isGatewayUrl', () => {
  it.each([
    'http://nemo-gateway',
    'http://nemo-gateway/',
    'http://nemo-gateway:80',
    `http://nemo-gateway.${NS}`,
    `http://nemo-gateway.${NS}.svc`,
    `http://nemo-gateway.${NS}.svc.cluster.local`,
    `http://nemo-gateway.${NS}.svc.cluster.local:80`,
  ])('accepts %s', (u) => {
    expect(isGatewayUrl(u, 'nemo-gateway', NS)).toBe(true);
  });
  it.each([
    'http://nemoentitystore-sample:8000',
    'http://nemo-gateway:8080',
    'https://nemo-gateway',
    'http://nemo-gateway.other',
    'http://nemo-gateway/v1',
    'not a url',
    '',
    'http://user:pw@nemo-gateway',
  ])('rejects %s', (u) => {
    expect(isGatewayUrl(u, 'nemo-gateway', NS)).toBe(false);
  });
});

// Every distinct reason a URL misses the gateway, one case each.
describe('gatewayUrlProblem', () => {
  it.each([
    ['not a url', /"not a url" is not a URL/],
    ['http://nemoentitystore-sample:8000', /points at the Entity Store instead of the gateway \(nemo-gateway\)/],
    ['http://other-svc', /points at other-svc instead of the gateway/],
    ['http://nemo-gateway.other', /names Service nemo-gateway in namespace other, not in flywheel/],
    ['https://nemo-gateway', /uses https; the gateway Service serves plain http/],
    ['http://user:pw@nemo-gateway', /carries credentials/],
    ['http://nemo-gateway:8080', /^port 8080 is not a port of Service nemo-gateway \(80\)$/],
    ['http://nemo-gateway/v1', /has the path \/v1/],
  ])('%s', (url, problem) => {
    expect(gatewayUrlProblem(url, 'nemo-gateway', NS, [80])).toMatch(problem);
  });
  it('accepts a port the Service really has', () => {
    expect(gatewayUrlProblem('http://nemo-gateway:8080', 'nemo-gateway', NS, [80, 8080])).toBeUndefined();
  });
});

describe('evaluator-entity-store-url judge', () => {
  it('names the specific cause in the summary: the right host on the wrong port', () => {
    const r = judge(snap([evaluatorDeployment([{ name: 'ENTITY_STORE_URL', value: 'http://nemo-gateway:8080' }])]));
    expect(outcome(r)).toBe('FD-EVES-006');
    expect(r.summary).toMatch(/port 8080 is not a port of Service nemo-gateway \(80\)/);
  });
  it('passes when the Deployment and the CR point at the gateway', () => {
    const r = judge(snap([evaluatorDeployment([GATEWAY])], { nemoevaluators: [evaluatorCr([GATEWAY])] }));
    expect(r.status).toBe('pass');
  });
  it('fails on the entity store default (the guide situation)', () => {
    const r = judge(
      snap(
        [
          evaluatorDeployment([
            { name: 'ENTITY_STORE_URL', value: 'http://nemoentitystore-sample.flywheel.svc.cluster.local:8000' },
          ]),
        ],
        { nemoevaluators: [evaluatorCr()] },
      ),
    );
    expect(outcome(r)).toBe('FD-EVES-006');
    expect(r.rootCause).toMatch(/re-renders/);
  });
  it('fails when the variable is missing', () => {
    expect(outcome(judge(snap([evaluatorDeployment([])])))).toBe('FD-EVES-003');
  });
  it('warns when only the Deployment carries the value (lost on the next operator re-render)', () => {
    const r = judge(snap([evaluatorDeployment([GATEWAY])], { nemoevaluators: [evaluatorCr()] }));
    expect(outcome(r)).toBe('FD-EVES-007');
    expect(r.summary).toMatch(/re-render/);
  });
  it('warns while the rollout carrying the value is incomplete', () => {
    const r = judge(
      snap([evaluatorDeployment([GATEWAY], { ready: false })], { nemoevaluators: [evaluatorCr([GATEWAY])] }),
    );
    expect(outcome(r)).toBe('FD-EVES-008');
  });
  it('resolves valueFrom a ConfigMap', () => {
    const dep = evaluatorDeployment(
      [{ name: 'ENTITY_STORE_URL', valueFrom: { configMapKeyRef: { name: 'eval-env', key: 'url' } } }],
      { owned: false },
    );
    const cm = (v: string) => [{ metadata: { name: 'eval-env' }, data: { url: v } }];
    expect(judge(snap([dep], { configmaps: cm('http://nemo-gateway.flywheel.svc') })).status).toBe('pass');
    expect(outcome(judge(snap([dep], { configmaps: cm('http://nemoentitystore-sample:8000') })))).toBe('FD-EVES-006');
    const missing = judge(snap([dep], { configmaps: [] }));
    expect(outcome(missing)).toBe('FD-EVES-004');
    expect(missing.summary).toMatch(/ConfigMap eval-env does not exist/);
  });
  it('cannot verify a value from a Secret (never read), and says so', () => {
    const dep = evaluatorDeployment(
      [{ name: 'ENTITY_STORE_URL', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
      { owned: false },
    );
    const r = judge(snap([dep]));
    expect(outcome(r)).toBe('FD-EVES-004');
    expect(r.summary).toMatch(/^Cannot verify ENTITY_STORE_URL: the value comes from a Secret/);
  });
  it('is an error when the evaluator Deployment has no containers', () => {
    const dep = evaluatorDeployment([], { owned: false });
    dep.spec.template.spec.containers = [];
    expect(judge(snap([dep])).summary).toMatch(/has no containers/);
  });
  it('offers no fix for a warning with nothing to patch, and says why', () => {
    const avail = (s: Snapshot) => {
      const subject = check.locate!(s, config());
      const finding = check.judge({ snapshot: s, subject, probe: NAME_ONLY, config: config() });
      return check.fix!.available!({ snapshot: s, subject, probe: NAME_ONLY, finding, config: config() });
    };
    const secret = evaluatorDeployment(
      [{ name: 'ENTITY_STORE_URL', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
      { owned: false },
    );
    expect(avail(snap([secret]))).toMatchObject({ reason: /cannot be read .*set it by hand/ });
    const rolling = snap([evaluatorDeployment([GATEWAY], { ready: false })], {
      nemoevaluators: [evaluatorCr([GATEWAY])],
    });
    expect(avail(rolling)).toMatchObject({ reason: /rollout .* still in progress/ });
    // The CR still points elsewhere: patching it is the fix.
    expect(avail(snap([evaluatorDeployment([GATEWAY])], { nemoevaluators: [evaluatorCr()] }))).toBe(true);
  });
  it('the last env entry wins, as in the kubelet', () => {
    const dep = evaluatorDeployment(
      [GATEWAY, { name: 'ENTITY_STORE_URL', value: 'http://nemoentitystore-sample:8000' }],
      { owned: false },
    );
    expect(outcome(judge(snap([dep])))).toBe('FD-EVES-006');
  });
  it('detects the helm chart name when the operator one is absent', () => {
    const r = judge(snap([evaluatorDeployment([GATEWAY], { owned: false, name: 'nemo-evaluator' })]));
    expect(r.status).toBe('pass');
    expect(r.evidence.find((e) => e.label === 'Managed by')?.value).toMatch(/helm/);
  });
  it('gives guidance, not a crash, when no evaluator exists', () => {
    const r = judge(snap([]));
    expect(outcome(r)).toBe('FD-EVES-001');
    expect(r.summary).toMatch(/evaluator\.deployment/);
  });
  it('is an error when the evaluator Deployment has no containers', () => {
    const dep = evaluatorDeployment([]);
    (dep.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers = [];
    expect(outcome(judge(snap([dep])))).toBe('FD-EVES-002');
  });
  it('surfaces a read error (403) from the snapshot', () => {
    const s = Snapshot.fromFixture(NS, {
      deployments: new KubeApiError(403, 'Forbidden', 'deployments.apps is forbidden', {
        verb: 'list',
        group: 'apps',
        resource: 'deployments',
        namespace: NS,
      }),
      configmaps: [],
      nemoevaluators: [],
      services: [],
    });
    expect(() => judge(s)).toThrow(/oc adm policy add-role-to-user view/);
  });
});

describe('envPatch', () => {
  it('adds a list when env is absent, appends when missing, replaces with a test op when present', () => {
    expect(envPatch('/spec/env', undefined, 'http://nemo-gateway')).toEqual([
      { op: 'add', path: '/spec/env', value: [GATEWAY] },
    ]);
    expect(envPatch('/spec/env', [{ name: 'X', value: '1' }], 'http://nemo-gateway')).toEqual([
      { op: 'add', path: '/spec/env/-', value: GATEWAY },
    ]);
    expect(
      envPatch(
        '/spec/env',
        [
          { name: 'X', value: '1' },
          { name: 'ENTITY_STORE_URL', value: 'old' },
        ],
        'http://nemo-gateway',
      ),
    ).toEqual([
      { op: 'test', path: '/spec/env/1/name', value: 'ENTITY_STORE_URL' },
      { op: 'replace', path: '/spec/env/1', value: GATEWAY },
    ]);
  });
});

// Judged by behaviour (real-stack.md §2): what the URL answers for each base model, not its host name.
describe('judged by what the URL answers', () => {
  const MODEL = 'meta/llama-3.2-1b-instruct';
  const ES = { name: 'ENTITY_STORE_URL', value: `http://nemoentitystore-sample.${NS}.svc.cluster.local:8000` };
  const nim = { metadata: { name: 'llama' }, status: { model: { name: MODEL } } };
  const gatewayConf = (proxy: boolean) => ({
    metadata: { name: 'nemo-gateway-config' },
    data: {
      'nginx.conf': `http { server { listen 8080; ${proxy ? 'location ~ ^/v1/models { set $es nemoentitystore-sample:8000; proxy_pass http://$es; }' : ''} location / { return 404; } } }`,
    },
  });
  const world = (env: { name: string; value: string }, proxy: boolean) =>
    snap([evaluatorDeployment([env])], {
      nemoevaluators: [evaluatorCr([env])],
      nimservices: [nim],
      configmaps: [gatewayConf(proxy)],
    });
  const valid: ModelAnswer = {
    model: MODEL,
    url: 'x',
    status: 200,
    contentType: 'application/json',
    body: JSON.stringify({ name: 'llama-3.2-1b-instruct', namespace: 'meta' }),
  };
  const missing: ModelAnswer = { ...valid, status: 404, body: `{"detail":"Model ${MODEL} not found"}` };
  const asked = (answers: ModelAnswer[], gatewayAnswers: ModelAnswer[] = []): UrlProbe => ({
    target: { base: 'http://127.0.0.1:1', via: 'test' },
    answers,
    gatewayAnswers,
  });

  it.each([
    [
      'the gateway answers',
      GATEWAY,
      false,
      asked([valid]),
      'pass',
      /answers a valid record for every base model/,
      undefined,
    ],
    [
      'straight at the Entity Store, model registered',
      ES,
      true,
      asked([valid]),
      'pass',
      /answers a valid record/,
      undefined,
    ],
    [
      'straight at the Entity Store, model not registered (proxy generation)',
      ES,
      true,
      asked([missing], [missing]),
      'FD-EVES-009',
      /does not answer a valid record for meta\/llama-3\.2-1b-instruct: HTTP 404/,
      /forwards model lookups to the same Entity Store/,
    ],
    [
      'at the Entity Store in the mock generation, the gateway answers',
      ES,
      false,
      asked([missing], [valid]),
      'FD-EVES-009',
      /does not answer a valid record/,
      true,
    ],
    [
      'at the gateway, which answers 404',
      GATEWAY,
      false,
      asked([missing]),
      'FD-EVES-009',
      /does not answer a valid record/,
      /already points at the gateway; the gateway is what answers no valid record .* gateway-models/,
    ],
    [
      'the name does not resolve from here: judged by name',
      ES,
      true,
      asked([{ model: MODEL, url: 'x', networkError: 'ENOTFOUND' }]),
      'FD-EVES-006',
      /judged by name only/,
      true,
    ],
    [
      'the override address does not answer: judged by name, not blamed on the evaluator',
      GATEWAY,
      false,
      {
        target: { base: 'http://127.0.0.1:1', via: 'FD_SERVICE_URL_OVERRIDES nemo-gateway' },
        answers: [{ model: MODEL, url: 'x', networkError: 'ECONNREFUSED' }],
        gatewayAnswers: [],
      },
      'pass',
      /judged by name only: http:\/\/127\.0\.0\.1:1 \(FD_SERVICE_URL_OVERRIDES nemo-gateway\) did not answer from here: ECONNREFUSED/,
      undefined,
    ],
    [
      'in the cluster, a refused connection is what the evaluator gets too',
      ES,
      true,
      asked([{ model: MODEL, url: 'x', networkError: 'ECONNREFUSED' }]),
      'FD-EVES-009',
      /does not answer a valid record for meta\/llama-3\.2-1b-instruct: ECONNREFUSED/,
      undefined,
    ],
  ] as const)('%s', (_name, env, proxy, probe, status, summary, fix) => {
    const r = judgeWith(check, world(env, proxy), probe, config());
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
    if (fix === undefined) return;
    const a = availabilityWith(check, world(env, proxy), probe, config());
    if (fix === true) expect(a).toEqual({ available: true });
    else expect(a.reason).toMatch(fix);
  });

  // An override stands for the Service's address: the URL's own port is still judged against the Service.
  it.each<[string, string, string, RegExp]>([
    [
      'a port the gateway Service does not have',
      'http://nemo-gateway:8080',
      'FD-EVES-005',
      /cannot connect in the cluster: port 8080 is not a port of Service nemo-gateway \(80\)/,
    ],
    ['the Service port, written out', 'http://nemo-gateway:80', 'pass', /answers a valid record/],
    ['the default port of the scheme', 'http://nemo-gateway', 'pass', /answers a valid record/],
    [
      'a Service that does not exist',
      'http://nemo-gateway-old:80',
      'FD-EVES-005',
      /Service nemo-gateway-old, which does not exist/,
    ],
  ])('behind an override: %s', (_, url, status, summary) => {
    const env = { name: 'ENTITY_STORE_URL', value: url };
    const overridden: UrlProbe = {
      target: { base: 'http://127.0.0.1:1', via: 'FD_SERVICE_URL_OVERRIDES nemo-gateway' },
      answers: [valid],
      gatewayAnswers: [],
    };
    const r = judgeWith(check, world(env, false), overridden, config());
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });

  it('the evidence shows the 404 the evaluator gets, and the root cause fits the generation', () => {
    const proxyGen = judgeWith(check, world(ES, true), asked([missing], [missing]), config());
    expect(proxyGen.evidence.map((e) => e.value).join('\n')).toMatch(/HTTP 404[\s\S]*not found/);
    expect(proxyGen.rootCause).toMatch(
      /straight at the Entity Store, which is fine once the base models are registered/,
    );
    const mockGen = judgeWith(check, world(ES, false), asked([missing], [valid]), config());
    expect(mockGen.rootCause).toMatch(/only the gateway's mock answers know them/);
  });

  it('warns when the CR renders another URL than the one that works', () => {
    const s = snap([evaluatorDeployment([ES])], {
      nemoevaluators: [evaluatorCr([GATEWAY])],
      nimservices: [nim],
      configmaps: [gatewayConf(true)],
    });
    const r = judgeWith(check, s, asked([valid]), config());
    expect(outcome(r)).toBe('FD-EVES-010');
    expect(r.summary).toMatch(/CR renders ENTITY_STORE_URL=http:\/\/nemo-gateway/);
  });

  it('the plan says when the gateway does not answer yet either', async () => {
    const p = await planWith(check, world(ES, false), asked([missing], [missing]), config());
    expect(p.risks.join('\n')).toMatch(/passes once check gateway-models is fixed too/);
  });
});

describe('reachableUrl', () => {
  const cfg = (overrides: Record<string, string> = {}) => ({ ...config(), serviceUrlOverrides: overrides });
  it.each([
    [
      'outside, Service with an override',
      `http://nemoentitystore-sample.${NS}.svc.cluster.local:8000`,
      false,
      { 'nemoentitystore-sample': 'http://127.0.0.1:9' },
      'http://127.0.0.1:9',
    ],
    [
      'outside, short name with an override',
      'http://nemo-gateway',
      false,
      { 'nemo-gateway': 'http://127.0.0.1:8/' },
      'http://127.0.0.1:8',
    ],
    ['outside, Service without an override', 'http://nemo-gateway', false, {}, undefined],
    ['outside, Service in another namespace', 'http://nemo-gateway.other.svc.cluster.local', false, {}, undefined],
    ['outside, an external address', 'https://entity-store.example.com', false, {}, 'https://entity-store.example.com'],
    [
      'inside, a bare name is expanded to the namespace',
      'http://nemo-gateway',
      true,
      {},
      `http://nemo-gateway.${NS}.svc.cluster.local`,
    ],
    [
      'inside, a full name is used as is',
      `http://nemoentitystore-sample.${NS}.svc.cluster.local:8000`,
      true,
      {},
      `http://nemoentitystore-sample.${NS}.svc.cluster.local:8000`,
    ],
    [
      'inside, an override still wins',
      'http://nemo-gateway',
      true,
      { 'nemo-gateway': 'http://127.0.0.1:8' },
      'http://127.0.0.1:8',
    ],
    ['not a URL', 'nope', false, {}, undefined],
  ] as const)('%s', (_name, raw, inCluster, overrides, base) => {
    expect(reachableUrl(raw, cfg(overrides), inCluster).base).toBe(base);
  });
});
