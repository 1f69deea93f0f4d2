import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { judgeWith, outcome } from '../../lib/engine/testing';
import check from '.';
import { config, NS } from '../test-fixtures';

const VALUE = 'bnZhcGktc2VjcmV0LXZhbHVlLTEyMzQ1'; // base64 of a fake value, as the API returns it
const secret = (name: string, data: Record<string, string>, type = 'Opaque') => ({ metadata: { name }, type, data });
const dep = (spec: Record<string, unknown>) => ({
  metadata: { name: 'df-api-deployment' },
  spec: { template: { spec } },
});
const envRef = (name: string, key: string, optional?: boolean) => ({
  containers: [
    { name: 'df-api', env: [{ name: 'NVIDIA_API_KEY', valueFrom: { secretKeyRef: { name, key, optional } } }] },
  ],
});
const judge = (deployments: unknown[], secrets: unknown[], nimservices: unknown[] = []) =>
  judgeWith(
    check,
    Snapshot.fromFixture(NS, {
      deployments: deployments as never,
      secrets: secrets as never,
      nimservices: nimservices as never,
      nemoevaluators: [],
    }),
    undefined,
    config(),
  );

describe('referenced-secrets', () => {
  it.each([
    [
      'present with the key',
      [dep(envRef('nvidia-api', 'NVIDIA_API_KEY'))],
      [secret('nvidia-api', { NVIDIA_API_KEY: VALUE })],
      [],
      'pass',
      /All 1 referenced Secrets exist/,
    ],
    [
      'the Secret is missing',
      [dep(envRef('nvidia-api', 'NVIDIA_API_KEY'))],
      [],
      [],
      'FD-SEC-002',
      /Secret nvidia-api does not exist \(needed by Deployment df-api-deployment, container df-api, env NVIDIA_API_KEY\)/,
    ],
    [
      'the key is missing',
      [dep(envRef('nvidia-api', 'NVIDIA_API_KEY'))],
      [secret('nvidia-api', { OTHER: VALUE })],
      [],
      'FD-SEC-002',
      /has no key NVIDIA_API_KEY/,
    ],
    [
      'the key is empty',
      [dep(envRef('nvidia-api', 'NVIDIA_API_KEY'))],
      [secret('nvidia-api', { NVIDIA_API_KEY: '' })],
      [],
      'FD-SEC-002',
      /key NVIDIA_API_KEY is empty/,
    ],
    [
      'an optional reference missing only warns',
      [dep(envRef('nvidia-api', 'NVIDIA_API_KEY', true))],
      [],
      [],
      'FD-SEC-003',
      /optional for/,
    ],
    [
      'an image pull secret of a drifted name',
      [dep({ imagePullSecrets: [{ name: 'ngc-secret' }], containers: [] })],
      [secret('nvcrimagepullsecret', { '.dockerconfigjson': VALUE }, 'kubernetes.io/dockerconfigjson')],
      [],
      'FD-SEC-002',
      /Secret ngc-secret does not exist \(needed by Deployment df-api-deployment imagePullSecrets\)/,
    ],
    [
      "a NIMService's authSecret",
      [],
      [],
      [{ metadata: { name: 'llama' }, spec: { authSecret: 'ngc-api-secret' } }],
      'FD-SEC-002',
      /Secret ngc-api-secret does not exist \(needed by NIMService llama spec\.authSecret\)/,
    ],
    [
      'nothing refers to a Secret',
      [dep({ containers: [{ name: 'x' }] })],
      [],
      [],
      'FD-SEC-001',
      /Nothing in this namespace refers to a Secret/,
    ],
  ] as const)('%s', (_name, deployments, secrets, nims, status, summary) => {
    const r = judge([...deployments], [...secrets], [...nims]);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });

  it('shows "present, N bytes" and never a value, in any field of the result', () => {
    const r = judge([dep(envRef('nvidia-api', 'NVIDIA_API_KEY'))], [secret('nvidia-api', { NVIDIA_API_KEY: VALUE })]);
    expect(r.evidence[0]!.label).toBe('nvidia-api (Secret)');
    expect(r.evidence[0]!.value).toMatch(/present \(Opaque\), keys: NVIDIA_API_KEY \(24 bytes\)/);
    const all = JSON.stringify(r);
    expect(all).not.toContain(VALUE);
    expect(all).not.toContain(Buffer.from(VALUE, 'base64').toString());
  });

  it('the snapshot itself never holds the values', () => {
    const s = Snapshot.fromFixture(NS, { secrets: [secret('nvidia-api', { NVIDIA_API_KEY: VALUE })] as never });
    expect(JSON.stringify(s.list('secrets'))).not.toContain(VALUE);
  });

  it('says any value works for hf-secret', () => {
    const r = judge([dep(envRef('hf-secret', 'HF_TOKEN'))], []);
    expect(r.evidence[0]!.value).toMatch(/any non-empty value works/);
  });
});

describe('what the masker makes of it', () => {
  it('the rendered text keeps Secret names and "missing" readable (no credential-looking key: value)', async () => {
    const { renderText } = await import('../../lib/report/render');
    const { redactText } = await import('../../lib/report/redact');
    const r = judge([dep(envRef('ngc-api-secret', 'NGC_API_KEY'))], []);
    const run = {
      id: 'r',
      namespace: NS,
      startedAt: '',
      finishedAt: '',
      state: 'done',
      timings: { snapshotMs: 1, totalMs: 1 },
      verdict: 'unhealthy',
      pending: [],
      summary: { pass: 0, warn: 0, fail: 1, error: 0, skipped: 0 },
      checks: [
        {
          ...r,
          id: 'referenced-secrets',
          title: '',
          area: '',
          symptom: '',
          rootCause: '',
          manualFix: [],
          fix: { available: false },
          durationMs: 1,
        },
      ],
    };
    const text = redactText(renderText(run as never), 'output', []);
    expect(text).toContain('Secret ngc-api-secret does not exist');
    expect(text).toContain('ngc-api-secret (Secret): missing');
    expect(text).not.toContain('***');
  });
});
