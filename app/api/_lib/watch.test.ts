import { describe, expect, it } from 'vitest';
import { watchedNamespaces } from './watch';

describe('FD_WATCH: one bad name does not stop the others', () => {
  it.each([
    ['default', ['flywheel'], 0],
    ['default, flywheel', ['flywheel'], 0],
    ['Bad_NS,other', ['other'], 1],
    ['a,,b ,', ['a', 'b'], 0],
    ['-x,' + 'y'.repeat(70), [], 2],
    ['', [], 0],
  ])('%j', (value, namespaces, invalid) => {
    const out = watchedNamespaces(value, 'flywheel');
    expect(out.namespaces).toEqual(namespaces);
    expect(out.invalid).toHaveLength(invalid);
    for (const message of out.invalid) expect(message).toMatch(/fix FD_WATCH/);
  });
});
