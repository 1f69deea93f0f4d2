import { describe, expect, it } from 'vitest';
import { Snapshot } from '../lib/engine/snapshot';
import { judgeWith } from '../lib/engine/testing';
import check, {
  baseModels,
  insertMocks,
  judgeAnswer,
  mockLocationBlock,
  type ModelAnswer,
} from './gateway-model-mocks';
import { config, NS } from './test-fixtures';

const MODEL = 'meta/llama-3.2-1b-instruct';
const dfConfig = (yaml: string) => ({ metadata: { name: 'df-config' }, data: { 'config.yaml': yaml } });
const nim = (name?: string) => ({
  metadata: { name: 'meta-llama3-1b-instruct' },
  status: name ? { model: { name } } : {},
});
const snap = (cms: unknown[], nims: unknown[] = []) =>
  Snapshot.fromFixture(NS, { configmaps: cms as never, nimservices: nims as never, deployments: [] });
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
  it('rejects the catch-all 404', () => expect(judgeAnswer({ ...good(), status: 404 })[0]).toMatch(/catch-all/));
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
    expect(
      judgeAnswer({ ...good(), body: JSON.stringify({ name: 'llama-3.2-1b-instruct', namespace: 'meta' }) }).join(),
    ).toMatch(/base_model/);
  });
  it('reports network errors', () =>
    expect(judgeAnswer({ model: MODEL, url: 'x', networkError: 'ECONNREFUSED' })[0]).toMatch(/ECONNREFUSED/));
});

describe('gateway-model-mocks judge', () => {
  const s = snap([dfConfig(`nims:\n  - model_name: ${MODEL}\n`)]);
  const judge = (answers: ModelAnswer[], sn = s) =>
    judgeWith(check, sn, { answers }, config({ gateway: { url: 'http://gw' } }));
  it('passes with a valid mock', () => expect(judge([good()]).status).toBe('pass'));
  it('fails when the model falls through to 404, with status and body as evidence', () => {
    const r = judge([{ ...good(), status: 404, body: '{"detail":"Not Found"}' }]);
    expect(r.status).toBe('fail');
    expect(r.evidence.map((e) => e.value).join()).toMatch(/HTTP 404[\s\S]*Not Found/);
  });
  it('is an error with the override hint when the gateway is unreachable', () => {
    const r = judge([{ model: MODEL, url: 'x', networkError: 'ENOTFOUND' }]);
    expect(r.status).toBe('error');
    expect(r.summary).toMatch(/FD_SERVICE_URL_OVERRIDES/);
  });
  it('is skipped when no base model is known', () => expect(judge([], snap([])).status).toBe('skipped'));
  it('is an error on a malformed df-config', () =>
    expect(judge([], snap([dfConfig(': : :\n  - [')])).status).toBe('error'));
});

describe('generated nginx config', () => {
  const CONF =
    'http {\n  server {\n    listen 8080;\n    # Catch-all\n    location / {\n      return 404;\n    }\n  }\n}\n';
  it('inserts a location per model before the catch-all and its comment', () => {
    const out = insertMocks(CONF, [MODEL]);
    const lines = out.split('\n');
    expect(lines.findIndex((l) => l.includes('llama-3\\.2-1b-instruct$'))).toBeLessThan(
      lines.findIndex((l) => l.includes('# Catch-all')),
    );
    expect(out).toContain('location ~ ^/v1/models/meta/llama-3\\.2-1b-instruct$ {');
  });
  it('embeds JSON that parses back to a valid answer', () => {
    const block = mockLocationBlock(MODEL);
    const body = block
      .match(/return 200 '(.*)';/)![1]!
      .replace(/\\'/g, "'")
      .replace(/\\\\/g, '\\');
    expect(judgeAnswer({ model: MODEL, url: 'x', status: 200, contentType: 'application/json', body })).toEqual([]);
  });
  it('refuses model ids that cannot be mocked safely', () => {
    expect(() => mockLocationBlock("meta/x'; return 500 '")).toThrow(/model id/);
    expect(() => mockLocationBlock('no-namespace')).toThrow();
    expect(() => mockLocationBlock('meta/$var')).toThrow();
  });
  it('refuses a config without a catch-all', () => {
    expect(() => insertMocks('http { server { } }', [MODEL])).toThrow(/catch-all/);
  });
});
