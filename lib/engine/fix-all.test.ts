import { describe, expect, it } from 'vitest';
import { fixAll, type FixAllHost } from './fix-all';
import type { AnyCheck, CheckResult, CheckStatus, RunResult } from './types';

const result = (id: string, status: CheckStatus, summary: string = status): CheckResult =>
  ({ id, title: id, status, summary, fix: { available: true } }) as unknown as CheckResult;
const run = (checks: CheckResult[], error?: string): RunResult => ({ checks, error }) as unknown as RunResult;

/** A host whose first run fails two checks; later runs answer as `later` says. */
function host(later: (only?: string[]) => RunResult): FixAllHost & { fixed: string[] } {
  const fixed: string[] = [];
  let first = true;
  return {
    fixed,
    registry: [{ id: 'a' }, { id: 'b' }] as unknown as AnyCheck[],
    run: async (only) => {
      if (first) {
        first = false;
        return run([result('a', 'fail'), result('b', 'fail')]);
      }
      return later(only);
    },
    fix: async (id) => {
      fixed.push(id);
      return { outcome: 'applied', plan: { summary: `fixed ${id}` }, verified: result(id, 'pass'), steps: [] } as never;
    },
  };
}

describe('fixAll judges each step again, and says what happened truthfully', () => {
  it.each<[string, (only?: string[]) => RunResult, string[], string[], RegExp]>([
    [
      'the API server stopped answering: not attempted, never "an earlier step fixed it"',
      () => run([], 'cannot reach the Kubernetes API server: connect ECONNREFUSED'),
      [],
      ['failed', 'failed'],
      /not attempted: could not judge it again before fixing \(cannot reach/,
    ],
    [
      'the re-run says error: not attempted',
      (only) => run([result(only?.[0] ?? 'a', 'error', 'reading pods timed out')]),
      [],
      ['failed', 'failed'],
      /not attempted: .*reading pods timed out/,
    ],
    [
      'an earlier step really fixed it',
      (only) => run([result(only?.[0] ?? 'a', 'pass')]),
      [],
      ['skipped', 'skipped'],
      /now pass: an earlier step fixed it/,
    ],
    [
      'still failing: fixed',
      (only) => run([result(only?.[0] ?? 'a', 'fail')]),
      ['a', 'b'],
      ['applied', 'applied'],
      /fixed a/,
    ],
  ])('%s', async (_name, later, fixed, outcomes, summary) => {
    const h = host(later);
    const out = await fixAll(h, { dryRun: false });
    expect(h.fixed).toEqual(fixed);
    expect(out.steps.map((s) => s.outcome)).toEqual(outcomes);
    expect(out.steps[0]!.summary).toMatch(summary);
  });
});
