import { KubeApiError } from '../../lib/k8s/errors';
import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { judgeWith, outcome } from '../../lib/engine/testing';
import check, { isOpenShift, type SccProbe } from '.';
import { config, NS } from '../test-fixtures';

const CUSTOMIZER = { metadata: { name: 'nemocustomizer-sample' } };
const SCC = { metadata: { name: 'nemo-customizer-scc' } };
const reviews = (customizer: boolean, dflt: boolean) => [
  { serviceAccount: 'nemocustomizer-sample', allowed: customizer },
  { serviceAccount: 'default', allowed: dflt },
];
const judge = (deployments: unknown[], probe: SccProbe) =>
  judgeWith(check, Snapshot.fromFixture(NS, { deployments: deployments as never }), probe, config());

describe('customizer-scc', () => {
  it.each([
    [
      'both service accounts may use it',
      [CUSTOMIZER],
      { scc: SCC, reviews: reviews(true, true) },
      'pass',
      /may use SCC nemo-customizer-scc/,
    ],
    [
      'default may not (entity handler pods)',
      [CUSTOMIZER],
      { scc: SCC, reviews: reviews(true, false) },
      'FD-SCC-005',
      /^Service account default may not use/,
    ],
    [
      'neither may',
      [CUSTOMIZER],
      { scc: SCC, reviews: reviews(false, false) },
      'FD-SCC-005',
      /accounts nemocustomizer-sample, default may not/,
    ],
    ['the SCC does not exist', [CUSTOMIZER], {}, 'FD-SCC-004', /SCC nemo-customizer-scc does not exist/],
    ['not OpenShift', [CUSTOMIZER], { notOpenShift: true }, 'FD-SCC-003', /Not OpenShift/],
    ['no Customizer', [], {}, 'FD-SCC-001', /No Customizer here/],
    ['the review cannot be made', [CUSTOMIZER], { error: 'forbidden' }, 'FD-SCC-002', /Cannot check SCC/],
  ] as const)('%s', (_name, deployments, probe, code, summary) => {
    const r = judge([...deployments], probe);
    expect(outcome(r)).toBe(code);
    expect(r.summary).toMatch(summary);
  });

  it('shows the oc adm policy command for each account refused, never a button', () => {
    const r = judge([CUSTOMIZER], { scc: SCC, reviews: reviews(true, false) });
    expect(r.manualFix).toEqual(['oc adm policy add-scc-to-user nemo-customizer-scc -z default -n flywheel']);
    expect(check.fix).toBeUndefined();
  });
});

describe('isOpenShift: only a 404 for the SCC API means "not OpenShift"', () => {
  const answering = (err?: Error) => ({ request: async () => (err ? Promise.reject(err) : ({} as never)) }) as never;
  it.each<[string, Error | undefined, boolean | RegExp]>([
    ['the API is served', undefined, true],
    [
      'a 404 for the group',
      new KubeApiError(404, 'NotFound', 'the server could not find the requested resource'),
      false,
    ],
    [
      'a 403 is not "not OpenShift"',
      new KubeApiError(403, 'Forbidden', 'forbidden'),
      /cannot tell whether this is OpenShift .*forbidden/,
    ],
    [
      'a timeout neither',
      Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }),
      /cannot tell whether this is OpenShift .*timed out/,
    ],
  ])('%s', async (_, err, want) => {
    const got = await isOpenShift(answering(err));
    if (typeof want === 'boolean') expect(got).toBe(want);
    else expect(got).toMatch(want);
  });
});
