import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { availabilityWith, judgeWith, planWith, outcome } from '../../lib/engine/testing';
import { parseNginx, serverLocations } from '../../lib/nginx';
import check, { mockLocationBlock, mockModelJson, type GatewayProbe } from '.';
import { baseModels, judgeAnswer, type ModelAnswer } from '../shared/entity-store';
import { configuredFor, readGatewayConfig, specificLocations, type GatewayConfigView } from '../shared/gateway-config';
import { config, NS } from '../test-fixtures';

const MODEL = 'meta/llama-3.2-1b-instruct';
const dfConfig = (yaml: string) => ({ metadata: { name: 'df-config' }, data: { 'config.yaml': yaml } });
const nim = (name?: string) => ({
  metadata: { name: 'meta-llama3-1b-instruct' },
  status: name ? { model: { name } } : {},
});
const snap = (cms: unknown[], nims: unknown[] = []) =>
  Snapshot.fromFixture(NS, { configmaps: cms as never, nimservices: nims as never, deployments: [], pods: [] });
const good = (model = MODEL): ModelAnswer => {
  const [ns, name] = model.split('/');
  return {
    model,
    url: 'x',
    status: 200,
    contentType: 'application/json',
    body: JSON.stringify({ name, namespace: ns, base_model: model }),
  };
};

describe('baseModels', () => {
  it('merges df-config nims, NIMService status and extras, deduplicated', () => {
    const { models } = baseModels(
      snap([dfConfig(`nims:\n  - model_name: ${MODEL}\n  - model_name: meta/llama-3.1-8b-instruct\n`)], [nim(MODEL)]),
      config({ dataFlywheel: { configMap: 'df-config', configKey: 'config.yaml', extraModels: ['nvidia/judge'] } }),
    );
    expect(models.map((m) => m.model)).toEqual([MODEL, 'meta/llama-3.1-8b-instruct', 'nvidia/judge']);
    expect(models[0]!.from).toHaveLength(2);
  });
  it('reports a df-config whose nims do not have the expected shape', () => {
    const { problems } = baseModels(snap([dfConfig('nims:\n  - model_name: 42\n')]), config());
    expect(problems[0]).toMatch(/nims\.0\.model_name/);
    expect(baseModels(snap([dfConfig('nims: []\n')]), config()).problems[0]).toMatch(/refuses to start/);
    expect(baseModels(snap([dfConfig('nims: a-string\n')]), config()).problems[0]).toMatch(/nims/);
  });
  it('reports malformed df-config YAML', () => {
    expect(baseModels(snap([dfConfig('nims: [unclosed')]), config()).problems[0]).toMatch(/not valid YAML/);
  });
});

describe('judgeAnswer', () => {
  it('accepts a valid Entity Store answer', () => expect(judgeAnswer(good())).toEqual([]));
  it('rejects a 404', () => expect(judgeAnswer({ ...good(), status: 404 })[0]).toMatch(/HTTP 404/));
  it('rejects non-JSON and invalid JSON', () => {
    expect(judgeAnswer({ ...good(), contentType: 'text/plain' })[0]).toMatch(/not JSON/);
    expect(judgeAnswer({ ...good(), body: '{nope' })[0]).toMatch(/not valid JSON/);
  });
  it("rejects an empty namespace (the evaluator's pattern error) and mismatched ids", () => {
    expect(
      judgeAnswer({
        ...good(),
        body: JSON.stringify({ name: 'llama-3.2-1b-instruct', namespace: '', base_model: MODEL }),
      }).join(),
    ).toMatch(/namespace/);
    expect(
      judgeAnswer({ ...good(), body: JSON.stringify({ name: 'other', namespace: 'meta', base_model: MODEL }) }).join(),
    ).toMatch(/not the model id/);
  });
  it('accepts a record without base_model (a registered one), and one whose api_endpoint.model_id is the model', () => {
    expect(
      judgeAnswer({ ...good(), body: JSON.stringify({ name: 'llama-3.2-1b-instruct', namespace: 'meta' }) }),
    ).toEqual([]);
    const renamed = {
      name: 'llama-1b',
      namespace: 'nim',
      api_endpoint: { url: 'http://nim:8000/v1', model_id: MODEL },
    };
    expect(judgeAnswer({ ...good(), body: JSON.stringify(renamed) })).toEqual([]);
  });
  const rec = (extra: Record<string, unknown>) =>
    JSON.stringify({ name: 'llama-3.2-1b-instruct', namespace: 'meta', ...extra });
  it.each<[string, Record<string, unknown>]>([
    // The SDK's Model: base_model is a string or an object (NVIDIA's docs since 25.7).
    [
      'an object base_model, as the SDK registers it',
      { base_model: { namespace: 'meta', name: 'llama-3.2-1b-instruct' } },
    ],
    ['an empty artifact, as the guide writes its mocks', { artifact: {} }],
    ['nulls where the SDK allows None', { description: null, spec: null, custom_fields: null }],
    ['fields the SDK knows beyond ours', { peft: { finetuning_type: 'lora' }, model_providers: ['a/b'] }],
  ])('accepts %s', (_, extra) => {
    expect(judgeAnswer({ ...good(), body: rec(extra) })).toEqual([]);
  });
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a base_model that is a number', { base_model: 3 }, /base_model/],
    ['a context size that is text', { spec: { context_size: '8192' } }, /spec\.context_size/],
    ['an artifact status the platform does not have', { artifact: { status: 'done' } }, /artifact\.status/],
    ['an api_endpoint url that is not a string', { api_endpoint: { url: 5 } }, /api_endpoint\.url/],
  ])('rejects a record the SDK rejects: %s', (_, extra, field) => {
    expect(judgeAnswer({ ...good(), body: rec(extra) }).join('; ')).toMatch(field);
  });
  it('reports network errors', () =>
    expect(judgeAnswer({ model: MODEL, url: 'x', networkError: 'ECONNREFUSED' })[0]).toMatch(/ECONNREFUSED/));
});

describe('gateway-models judge (served only)', () => {
  const s = snap([dfConfig(`nims:\n  - model_name: ${MODEL}\n`)]);
  const judge = (answers: ModelAnswer[], sn = s) =>
    judgeWith(check, sn, { answers }, config({ gateway: { url: 'http://gw' } }));
  it('passes with a valid answer', () => expect(judge([good()]).status).toBe('pass'));
  it('fails when the model falls through to 404, with status and body as evidence', () => {
    const r = judge([{ ...good(), status: 404, body: '{"detail":"Not Found"}' }]);
    expect(outcome(r)).toBe('FD-GW-010');
    expect(r.evidence.map((e) => e.value).join()).toMatch(/HTTP 404[\s\S]*Not Found/);
  });
  it('is an error when df-config cannot be read as YAML (the models are unknown)', () => {
    const r = judge([good()], snap([dfConfig('nims: [')]));
    expect(outcome(r)).toBe('FD-GW-001');
    expect(r.summary).toMatch(/is not valid YAML/);
  });
  it('is skipped when no base model is configured anywhere', () => {
    expect(outcome(judge([], snap([])))).toBe('FD-GW-003');
  });
  it('is an error with the override hint when the gateway is unreachable', () => {
    const r = judge([{ model: MODEL, url: 'x', networkError: 'ENOTFOUND' }]);
    expect(outcome(r)).toBe('FD-GW-004');
    expect(r.summary).toMatch(/FD_SERVICE_URL_OVERRIDES/);
  });
  it('is skipped when no base model is known', () => expect(judge([], snap([])).status).toBe('skipped'));
  it('is an error on a malformed df-config', () =>
    expect(judge([], snap([dfConfig(': : :\n  - [')])).status).toBe('error'));
});

// What the ConfigMap configures against what the gateway serves: every distinct case and its fix.
const MOCK = (pattern: string, body = mockModelJson(MODEL), type = 'application/json') =>
  `location ${pattern} { default_type ${type}; return 200 '${body.replace(/'/g, "\\'")}'; }`;
const conf = (...locations: string[]) =>
  `events {}\nhttp {\n  server {\n    listen 8080;\n    location = /healthz { return 200 'ok'; }\n${locations.map((l) => `    ${l}\n`).join('')}    # Catch-all\n    location / { return 404 '{"detail":"Not Found"}'; }\n  }\n}\n`;
const gatewayCm = (nginx: string) => ({
  metadata: { name: 'nemo-gateway-config', resourceVersion: '5' },
  data: { 'nginx.conf': nginx },
});
const gatewayDep = { metadata: { name: 'nemo-gateway', generation: 3 }, spec: { template: { metadata: {} } } };
const withConf = (nginx: string) =>
  Snapshot.fromFixture(NS, {
    configmaps: [dfConfig(`nims:\n  - model_name: ${MODEL}\n`), gatewayCm(nginx)] as never,
    nimservices: [],
    deployments: [gatewayDep] as never,
    pods: [],
  });
const NOT_FOUND: ModelAnswer = {
  model: MODEL,
  url: 'x',
  status: 404,
  contentType: 'application/json',
  body: '{"detail":"Not Found"}',
};
const cfg = () => config({ gateway: { url: 'http://gw' } });

describe('configured vs served', () => {
  const SHADOWED = conf('location ~ ^/v1/models { return 404; }', MOCK('~ ^/v1/models/meta/llama-3\\.2-1b-instruct$'));
  const INVALID = conf(MOCK('~ ^/v1/models/meta/llama-3\\.2-1b-instruct$', '{"name":"x","namespace":""}'));
  const VALID = conf(MOCK('~ ^/v1/models/meta/llama-3\\.2-1b-instruct$'));
  it.each([
    [
      'missing: no block, the catch-all answers',
      conf(),
      NOT_FOUND,
      'FD-GW-006',
      /no block answers for meta\/llama-3\.2-1b-instruct \(nginx sends it to line \d+: location \/\)/,
    ],
    [
      'shadowed by an earlier regex',
      SHADOWED,
      NOT_FOUND,
      'FD-GW-007',
      /is shadowed by line \d+: location ~ \^\/v1\/models: nginx never serves it/,
    ],
    [
      'invalid answer configured',
      INVALID,
      { ...NOT_FOUND, status: 200, body: '{"name":"x","namespace":""}' },
      'FD-GW-008',
      /answers invalid model metadata: namespace/,
    ],
    [
      'configured but not loaded',
      VALID,
      NOT_FOUND,
      'FD-GW-009',
      /routes .* correctly, but the running gateway has not loaded it/,
    ],
    [
      'served but would be lost at the next restart',
      conf(),
      good(),
      'FD-GW-012',
      /Works until the next gateway restart/,
    ],
    ['configured and served', VALID, good(), 'pass', /answers valid model metadata/],
    [
      'not served, and the config cannot be read',
      'server { location / { return 404; ',
      NOT_FOUND,
      'FD-GW-010',
      /its config cannot be read \(nginx\.conf cannot be parsed/,
    ],
    [
      'wrong content type configured',
      conf(MOCK('= /v1/models/meta/llama-3.2-1b-instruct', mockModelJson(MODEL), 'text/plain')),
      { ...good(), contentType: 'text/plain' },
      'FD-GW-008',
      /content type is text\/plain/,
    ],
  ] as const)('%s', (_name, nginx, answer, status, summary) => {
    const r = judgeWith(check, withConf(nginx), { answers: [answer] }, cfg());
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });

  const planFor = async (nginx: string, answer: ModelAnswer) => {
    const p = await planWith(check, withConf(nginx), { answers: [answer] }, cfg());
    const data = p.data as { ops: Array<{ op: string; value?: unknown }>; restart: boolean };
    const next = data.ops.find((o) => o.op === 'replace')?.value as string | undefined;
    return { p, data, next };
  };
  const blocksFor = (nginx: string) => {
    const view = readGatewayConfig(nginx) as GatewayConfigView;
    return specificLocations(view, `/v1/models/${MODEL}`);
  };

  it('not loaded: only a restart, no edit', async () => {
    const { p, data } = await planFor(VALID, NOT_FOUND);
    expect(data.ops).toEqual([]);
    expect(data.restart).toBe(true);
    expect(p.summary).toMatch(/^Only restart nemo-gateway/);
  });
  it.each([
    ['missing', conf()],
    ['shadowed', SHADOWED],
    ['invalid', INVALID],
  ])('%s: exactly one exact-match block afterwards, which nginx picks, and a restart', async (_c, nginx) => {
    const { data, next } = await planFor(nginx, NOT_FOUND);
    expect(data.restart).toBe(true);
    const view = readGatewayConfig(next!) as GatewayConfigView;
    const own = blocksFor(next!);
    expect(own).toHaveLength(1);
    expect(own[0]!.kind).toBe('exact');
    expect(configuredFor(view, `/v1/models/${MODEL}`)).toMatchObject({
      state: 'answers',
      answer: { status: 200, contentType: 'application/json' },
    });
    // Everything else is kept byte for byte.
    expect(next).toContain("location = /healthz { return 200 'ok'; }");
    expect(next).toContain('# Catch-all');
  });
  it('drift: the ConfigMap is repaired, no restart needed', async () => {
    const { data, next } = await planFor(conf(), good());
    expect(data.restart).toBe(false);
    expect(blocksFor(next!)).toHaveLength(1);
  });
  it('judges the server the gateway container listens on, not a metrics server listed first', () => {
    const twoServers = conf(MOCK('= /v1/models/meta/llama-3.2-1b-instruct')).replace(
      'http {\n',
      "http {\n  server { listen 9090; location / { return 404 'metrics'; } }\n",
    );
    const view = readGatewayConfig(twoServers) as GatewayConfigView;
    expect(configuredFor(view, `/v1/models/${MODEL}`)).toMatchObject({ state: 'answers', answer: { status: 200 } });
  });
  it('the manual steps match the case', () => {
    const shadowed = judgeWith(check, withConf(SHADOWED), { answers: [NOT_FOUND] }, cfg());
    expect(shadowed.manualFix!.join('\n')).toMatch(/turn the block for .* into an exact match/);
    const notLoaded = judgeWith(check, withConf(VALID), { answers: [NOT_FOUND] }, cfg());
    expect(notLoaded.manualFix!.join('\n')).not.toMatch(/oc edit/);
    expect(notLoaded.manualFix!.join('\n')).toMatch(/rollout restart/);
  });
});

describe('generated mock', () => {
  it('embeds JSON that nginx reads back to a valid answer', () => {
    const [d] = parseNginx(`server {\n${mockLocationBlock(MODEL)}\n}`);
    const loc = serverLocations([d!]).locations[0]!;
    const body = loc.directive.block!.find((x) => x.name === 'return')!.args[1]!;
    expect(judgeAnswer({ model: MODEL, url: 'x', status: 200, contentType: 'application/json', body })).toEqual([]);
  });
  it('refuses model ids that cannot be mocked safely', () => {
    expect(() => mockLocationBlock("meta/x'; return 500 '")).toThrow(/model id/);
    expect(() => mockLocationBlock('no-namespace')).toThrow();
    expect(() => mockLocationBlock('meta/$var')).toThrow();
  });
});

// The proxy generation (real-stack.md §1-2): model paths go to the Entity Store; the failures told apart.
describe('proxy generation', () => {
  const PROXY = (extra = '') =>
    `events {}\nhttp {\n  resolver 172.30.0.10 valid=30s;\n  server {\n    listen 8080;\n    location = /healthz { return 200 'ok'; }\n${extra}    location ~ ^/v1/models {\n      set $upstream_es nemoentitystore-sample.${NS}.svc.cluster.local:8000;\n      proxy_pass http://$upstream_es;\n    }\n    location ~ ^/v1/(datasets|namespaces) {\n      set $upstream_es nemoentitystore-sample.${NS}.svc.cluster.local:8000;\n      proxy_pass http://$upstream_es;\n    }\n    location / { default_type application/json; return 404 '{"error": "Not Found - use /v1/* endpoints"}'; }\n  }\n}\n`;
  const ok = { url: 'x', status: 200, contentType: 'application/json', body: '{"object":"list","data":[]}' };
  const bad502 = { url: 'x', status: 502, contentType: 'text/html', body: '<html>502 Bad Gateway</html>' };
  const notRegistered: ModelAnswer = {
    model: MODEL,
    url: 'x',
    status: 404,
    contentType: 'application/json',
    body: `{"detail":"Model ${MODEL} not found"}`,
  };
  const catchAll: ModelAnswer = { ...notRegistered, body: '{"error": "Not Found - use /v1/* endpoints"}' };
  const probe = (answer: ModelAnswer, extra: Partial<GatewayProbe> = {}): GatewayProbe => ({
    health: ok,
    namespaces: ok,
    answers: [answer],
    ...extra,
  });
  const STALE_MOCK = PROXY(`    ${MOCK('= /v1/models/meta/llama-3.2-1b-instruct', '{"name":"x","namespace":""}')}\n`);

  it.each([
    ['registered', PROXY(), probe(good()), 'pass', /registered in the Entity Store/, false],
    [
      'not registered',
      PROXY(),
      probe(notRegistered),
      'FD-GW-002',
      /meta\/llama-3\.2-1b-instruct is not registered in the Entity Store/,
      true,
    ],
    [
      'Entity Store down: the path is named, not the model',
      PROXY(),
      probe(
        { model: MODEL, ...bad502 },
        { namespaces: bad502, entityStoreHealth: { url: 'es', networkError: 'ECONNREFUSED' } },
      ),
      'FD-GW-005',
      /cannot reach the Entity Store, so no model lookup through it works \(meta\/llama-3\.2-1b-instruct\)[\s\S]*the Entity Store itself does not answer/,
      false,
    ],
    [
      'resolver or upstream broken: the Entity Store answers directly',
      PROXY(),
      probe(
        { model: MODEL, ...bad502 },
        { namespaces: bad502, entityStoreHealth: { url: 'es', status: 200, body: '{}' } },
      ),
      'FD-GW-005',
      /its resolver or the upstream address \(line \d+: location ~ \^\/v1\/models -> http:\/\/nemoentitystore-sample/,
      false,
    ],
    [
      'cannot cross-check from outside the cluster',
      PROXY(),
      probe(
        { model: MODEL, ...bad502 },
        { namespaces: bad502, entityStoreHealth: { url: 'es', networkError: 'ENOTFOUND' } },
      ),
      'FD-GW-005',
      /could not be asked directly[\s\S]*FD_SERVICE_URL_OVERRIDES=nemoentitystore-sample=/,
      false,
    ],
    [
      'config proxies, running gateway serves the catch-all',
      PROXY(),
      probe(catchAll),
      'FD-GW-009',
      /has not loaded it/,
      true,
    ],
    [
      'invalid record',
      PROXY(),
      probe({ ...good(), body: JSON.stringify({ name: 'llama-3.2-1b-instruct', namespace: '' }) }),
      'FD-GW-011',
      /record for .* is not one the evaluator accepts: namespace/,
      false,
    ],
    [
      'a stale invalid mock in front of the proxy',
      STALE_MOCK,
      probe({ ...good(), body: '{"name":"x","namespace":""}' }),
      'FD-GW-008',
      /answers invalid model metadata/,
      false,
    ],
  ] as const)('%s', (_name, nginx, pr, status, summary, fixable) => {
    const r = judgeWith(check, withConf(nginx), pr, cfg());
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
    expect(availabilityWith(check, withConf(nginx), pr, cfg()).available).toBe(fixable);
  });

  it('says why there is no automatic fix', () => {
    const down = probe(
      { model: MODEL, ...bad502 },
      { namespaces: bad502, entityStoreHealth: { url: 'es', networkError: 'ECONNREFUSED' } },
    );
    expect(availabilityWith(check, withConf(PROXY()), down, cfg()).reason).toMatch(/does not repair that path/);
    const stale = probe({ ...good(), body: '{"name":"x","namespace":""}' });
    expect(availabilityWith(check, withConf(STALE_MOCK), stale, cfg()).reason).toMatch(/a mock is never added/);
  });

  it('registers the missing model through the gateway, never a mock', async () => {
    const p = await planWith(check, withConf(PROXY()), probe(notRegistered), cfg());
    const data = p.data as { ops: unknown[]; register: string[]; restart: boolean };
    expect(data).toMatchObject({ ops: [], register: [MODEL], restart: false });
    expect(p.changes).toEqual([
      expect.objectContaining({
        action: 'create',
        manifest: expect.objectContaining({ name: 'llama-3.2-1b-instruct', namespace: 'meta' }),
      }),
    ]);
    expect(JSON.stringify(p)).not.toMatch(/location =/);
  });

  it('a registered model plans nothing', async () => {
    expect((await planWith(check, withConf(PROXY()), probe(good()), cfg())).noop).toBe(true);
  });

  it('an older config that proxies only customized models is the mock generation: base models get mocks', async () => {
    const older = conf(
      'location ~ ^/v1/models/[^/]+/customized-.+$ { set $es nemoentitystore-sample:8000; proxy_pass http://$es; }',
    );
    const r = judgeWith(check, withConf(older), probe(NOT_FOUND), cfg());
    expect(r.summary).toMatch(/no block answers/);
    const p = await planWith(check, withConf(older), probe(NOT_FOUND), cfg());
    expect((p.data as { register: string[] }).register).toEqual([]);
    expect(p.changes[0]!.after).toMatch(/location = \/v1\/models\/meta\/llama-3\.2-1b-instruct/);
  });

  it('the manual steps register by hand, or show where the path breaks', () => {
    expect(judgeWith(check, withConf(PROXY()), probe(notRegistered), cfg()).manualFix!.join('\n')).toMatch(
      /-X POST http:\/\/nemo-gateway\/v1\/models/,
    );
    const down = probe(
      { model: MODEL, ...bad502 },
      { namespaces: bad502, entityStoreHealth: { url: 'es', networkError: 'ECONNREFUSED' } },
    );
    expect(judgeWith(check, withConf(PROXY()), down, cfg()).manualFix!.join('\n')).toMatch(/get endpoints/);
  });
});
