import { describe, expect, it } from 'vitest';
import { compareRuns } from './compare';

const run = (checks: Array<[string, string, Array<[string, string]>]>) =>
  ({
    checks: checks.map(([id, status, ev]) => ({
      id,
      title: id,
      status,
      evidence: ev.map(([label, value]) => ({ label, value })),
    })),
  }) as never;

describe('compareRuns', () => {
  it('gives each check its two statuses and only the evidence rows that differ', () => {
    const a = run([
      [
        'x',
        'fail',
        [
          ['URL', 'http://es'],
          ['Rollout', 'done'],
        ],
      ],
      ['y', 'pass', []],
    ]);
    const b = run([
      [
        'x',
        'pass',
        [
          ['URL', 'http://nemo-gateway'],
          ['Rollout', 'done'],
        ],
      ],
      ['z', 'warn', [['Note', 'new']]],
    ]);
    expect(compareRuns(a, b)).toEqual([
      {
        id: 'x',
        title: 'x',
        before: 'fail',
        after: 'pass',
        evidence: [{ label: 'URL', before: 'http://es', after: 'http://nemo-gateway' }],
      },
      { id: 'y', title: 'y', before: 'pass', after: undefined, evidence: [] },
      {
        id: 'z',
        title: 'z',
        before: undefined,
        after: 'warn',
        evidence: [{ label: 'Note', before: undefined, after: 'new' }],
      },
    ]);
  });
});
