import { describe, expect, it } from 'vitest';
import { parseHistory } from './history';

const entry = (at: string) => ({ at, runId: 'r', reason: 'change', statuses: { a: 'pass' }, transitions: [] });

describe('parseHistory: a damaged history keeps what can be read', () => {
  it.each([
    ['nothing stored', undefined, 0, false],
    ['an empty string', '', 0, false],
    ['good entries', JSON.stringify([entry('1'), entry('2')]), 2, false],
    ['broken JSON (edited by hand)', '[{"at": "1", "runId": ', 0, true],
    ['JSON that is not a list', '{"at": "1"}', 0, true],
    ['one broken entry among good ones', JSON.stringify([entry('1'), { at: 3 }, null, entry('2')]), 2, true],
  ])('%s', (_name, text, count, damaged) => {
    const out = parseHistory(text);
    expect(out.entries).toHaveLength(count);
    expect(out.damaged).toBe(damaged);
  });
});
