import { describe, expect, it } from 'vitest';
import { compact, lineDiff } from './diff';

describe('lineDiff', () => {
  it('marks inserted and removed lines and keeps common ones', () => {
    const d = lineDiff('a\nb\nc', 'a\nx\nc\nd');
    expect(d).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'del', text: 'b' },
      { kind: 'add', text: 'x' },
      { kind: 'same', text: 'c' },
      { kind: 'add', text: 'd' },
    ]);
  });
  it('compacts long unchanged runs', () => {
    const before = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
    const after = before.replace('l10', 'L10');
    const c = compact(lineDiff(before, after), 1);
    expect(c[0]).toEqual({ kind: 'skip', count: 9 });
    expect(c.filter((x) => x.kind === 'add')).toHaveLength(1);
    expect(c[c.length - 1]).toEqual({ kind: 'skip', count: 8 });
  });
});
