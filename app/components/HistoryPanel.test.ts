import { describe, expect, it } from 'vitest';
import { regressions } from './HistoryPanel';

const entry = (
  at: string,
  statuses: Record<string, string>,
  transitions: Array<{ check: string; from?: string; to: string }>,
) => ({ at, runId: at, reason: 'change', statuses, transitions }) as never;

describe('regressions', () => {
  it('names, for each check failing now, the entry where it left pass', () => {
    const entries = [
      entry('1', { a: 'pass', b: 'pass' }, []),
      entry('2', { a: 'warn', b: 'pass' }, [{ check: 'a', from: 'pass', to: 'warn' }]),
      entry('3', { a: 'fail', b: 'pass' }, [{ check: 'a', from: 'warn', to: 'fail' }]),
    ];
    expect(regressions(entries).map((r) => [r.check, (r.entry as { at: string }).at])).toEqual([['a', '2']]);
  });
  it('says nothing when everything passes now, or a check never passed', () => {
    expect(regressions([entry('1', { a: 'pass' }, [])])).toEqual([]);
    expect(regressions([entry('1', { a: 'fail' }, [{ check: 'a', to: 'fail' }])])).toEqual([]);
  });
});
