import { describe, expect, it } from 'vitest';
import { REDACTION_RULES, redactDeep, redactText, type Masked } from './redact';

const MASKED_SAMPLES: Array<[string, string]> = [
  ['mongodb://admin:s3cr3tpw@df-mongodb:27017', 's3cr3tpw'],
  ['Authorization: Bearer abcdefghijklmnop1234', 'abcdefghijklmnop1234'],
  ['NVIDIA_API_KEY=nvapi-FDSEEDSECRET-do-not-leak-0001', 'FDSEEDSECRET'],
  ['token: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlc2lnbmF0dXJl', 'eyJzdWIi'],
  ['HF_TOKEN="hf_abcdefghijklmno"', 'hf_abcdefghijklmno'],
  ['password=hunter22', 'hunter22'],
  ['https://api.example/v1?apiKey=ZZSECRET42&x=1', 'ZZSECRET42'],
  ['apiKey=ZZSECRET43', 'ZZSECRET43'],
  ['Password: ZZSECRET44', 'ZZSECRET44'],
  ['proxy_set_header Authorization "Basic dXNlcjpaWlNFQ1JFVDQ1";', 'dXNlcjpaWlNFQ1JFVDQ1'],
  ['DB_PASS=ZZSECRET46', 'ZZSECRET46'],
  ['{"user": "a", "password": "ZZSECRET47"}', 'ZZSECRET47'],
  ["client_secret: 'ZZSECRET48'", 'ZZSECRET48'],
  // Round two: shapes that passed every output before.
  ['mongodb://flywheel:ZZ@SECRET/50x@df-mongodb:27017/db', 'SECRET/50x'],
  ['authorization: bearer zzsecret51abcdef', 'zzsecret51abcdef'],
  ['Authorization: Token ZZSECRET52abc', 'ZZSECRET52abc'],
  ['Authorization: ApiKey ZZSECRET53abc', 'ZZSECRET53abc'],
  ['proxy_set_header X-Api-Key ZZSECRET54;', 'ZZSECRET54'],
  ['proxy_set_header X-Auth-Token "ZZSECRET55";', 'ZZSECRET55'],
  ['password: "two ZZSECRET56 words"', 'ZZSECRET56'],
  ['aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYZZSECRET57', 'ZZSECRET57'],
  ['key wJalrXUtnFEMI/K7MDENG/bPxRfiCYZZSECRET58 in a log line', 'ZZSECRET58'],
  ['AWS_ACCESS_KEY_ID ASIAZZSECRET59ABCDEF', 'ZZSECRET59'],
  ['Cookie: session=ZZSECRET60; theme=dark', 'ZZSECRET60'],
  ['git clone https://ghp_ZZSECRET61abcdef@github.com/org/repo', 'ZZSECRET61'],
  ['git clone https://ZZSECRET62abcdefgh@github.com/org/repo', 'ZZSECRET62'],
  ['blob: QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo5ODc2NTQzMjEwWlpTRUNSRVQ2Mw==', 'WlpTRUNSRVQ2Mw'],
];

describe('redactText', () => {
  const r = (s: string, opts = {}) => {
    const masked: Masked[] = [];
    return { out: redactText(s, 'here', masked, opts), masked };
  };
  it.each(MASKED_SAMPLES)('masks %s', (input, secret) => {
    const { out, masked } = r(input);
    expect(out).not.toContain(secret);
    expect(masked.length).toBeGreaterThan(0);
    expect(JSON.stringify(masked)).not.toContain(secret);
  });
  it.each([
    '5 pass: all good',
    'bypass: none',
    'ENTITY_STORE_URL=http://nemo-gateway',
    // A boolean under a credential-looking key: masking it made the JSON invalid.
    '"automountServiceAccountToken": false,',
    'proxy_set_header Authorization $http_authorization;',
    'image: nvcr.io/nvidia/nemo-microservices/evaluator@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'mounted at /mnt/models/Llama3Instruct/Model00001Of00004SafetensorsWeights',
    'models/meta/llama-3.2-1b-instruct/tokenizer.json',
  ])('leaves %j alone', (text) => {
    expect(r(text).out).toBe(text);
  });
  it('leaves ordinary text alone', () => {
    const { out, masked } = r('ENTITY_STORE_URL=http://nemo-gateway (env value)');
    expect(out).toBe('ENTITY_STORE_URL=http://nemo-gateway (env value)');
    expect(masked).toEqual([]);
  });
  it('replaces namespace and host names when asked', () => {
    expect(
      r('pod in hacohen-flywheel on api.example.com', {
        anonymize: { namespace: 'hacohen-flywheel', hosts: ['api.example.com'] },
      }).out,
    ).toBe('pod in <namespace> on <host>');
  });
});

describe('each rule is skipped only where it cannot match', () => {
  // A rule runs only on text its hint finds: a hint that misses a text the rule matches would leak.
  const texts = MASKED_SAMPLES.flatMap(([input]) => [input, input.toUpperCase(), input.toLowerCase()]);
  it.each(REDACTION_RULES.map((rule) => [rule.kind, rule] as const))('%s', (_kind, rule) => {
    const matched = texts.filter((t) => new RegExp(rule.re.source, rule.re.flags).test(t));
    expect(matched.length).toBeGreaterThan(0);
    for (const t of matched) expect(rule.hint.test(t), t).toBe(true);
  });
});

describe('redactDeep', () => {
  it('keeps a serialised plan valid JSON', () => {
    const plan = { spec: { automountServiceAccountToken: false, password: 'ZZSECRET64', port: 8000 } };
    const text = JSON.stringify(redactDeep(plan), null, 2);
    expect(JSON.parse(text)).toEqual({ spec: { automountServiceAccountToken: false, password: '***', port: 8000 } });
    // Masking the serialised text again (as a log line would) keeps it JSON too.
    expect(() => JSON.parse(redactText(text, 'again', []))).not.toThrow();
  });

  it('masks every string at any depth and says where', () => {
    const masked: Masked[] = [];
    const out = redactDeep({ plan: { changes: [{ before: 'DB_PASS=ZZSECRET49', after: 'ok' }] }, n: 3 }, masked);
    expect(JSON.stringify(out)).not.toContain('ZZSECRET49');
    expect(out.n).toBe(3);
    expect(masked[0]!.where).toBe('response.plan.changes[0].before');
  });
});

describe('masking keeps commands and sentences intact', () => {
  it.each([
    // A placeholder is not a value: masking it made `=*** NGC API key>`, a shell redirect.
    'oc create secret generic ngc-api --from-literal=NGC_API_KEY=<your NGC API key>',
    // The next key is not a value: "rule on secrets: *** get" said nothing.
    'the Role has no rule on secrets: verbs: get, list',
  ])('leaves %j as it is', (text) => {
    const masked: Masked[] = [];
    expect(redactText(text, 'here', masked)).toBe(text);
    expect(masked).toEqual([]);
  });
});

describe('redactDeep masks by key as well as by pattern', () => {
  it.each([
    [{ op: 'add', path: '/data', value: { password: 'x' } }, 'x'],
    [{ env: [{ name: 'A', apiKey: 'short1' }] }, 'short1'],
    [{ clientSecret: 'abc' }, 'abc'],
    [{ NGC_API_KEY: 'zz9' }, 'zz9'],
  ])('masks %j', (value, secret) => {
    const masked: Masked[] = [];
    const out = JSON.stringify(redactDeep(value, masked));
    expect(out).not.toContain(`"${secret}"`);
    expect(masked.map((m) => m.kind)).toContain('credential field');
  });
  it('keeps names of secrets, which are not values', () => {
    const v = { secretName: 'ngc-api', secretKeyRef: { name: 'db', key: 'password' }, tokens: 3 };
    expect(redactDeep(v)).toEqual(v);
  });
});
