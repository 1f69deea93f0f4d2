import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks';
import { fixOrder } from './order';
import type { AnyCheck } from './types';

const check = (id: string, dependsOn?: string[], fix?: { touches?: string[]; undoneBy?: string[] }) =>
  ({ id, dependsOn, fix }) as unknown as AnyCheck;
const ids = (cs: AnyCheck[]) => cs.map((c) => c.id);

describe('fixOrder', () => {
  it.each([
    ['registry order without dependencies', [check('a'), check('b'), check('c')], undefined, ['a', 'b', 'c']],
    ['a dependency goes first', [check('a', ['c']), check('b'), check('c')], undefined, ['c', 'a', 'b']],
    ['chains', [check('a', ['b']), check('b', ['c']), check('c')], undefined, ['c', 'b', 'a']],
    [
      'a subset keeps only what was asked, still ordered',
      [check('a', ['c']), check('b'), check('c')],
      ['a', 'c'],
      ['c', 'a'],
    ],
    ['dependencies not asked for are not added', [check('a', ['c']), check('b'), check('c')], ['a'], ['a']],
    [
      'a fix goes after the fixes that would undo it (a CR patch before a Deployment-only edit)',
      [
        check('init', [], { touches: ['Deployment'], undoneBy: ['CR'] }),
        check('b'),
        check('url', [], { touches: ['CR'] }),
      ],
      undefined,
      ['url', 'init', 'b'],
    ],
  ])('%s', (_name, registry, only, expected) => {
    const subset = only ? registry.filter((c) => only.includes(c.id)) : undefined;
    expect(ids(fixOrder(registry, subset))).toEqual(expected);
  });
  it('refuses a cycle and names it', () => {
    expect(() => fixOrder([check('a', ['b']), check('b', ['a'])])).toThrow(/cycle: a -> b -> a/);
  });
  it('refuses an unknown dependency', () => {
    expect(() => fixOrder([check('a', ['zz'])])).toThrow(/unknown check zz/);
  });
  it('the registry has an order (no cycles, no unknown ids)', () => {
    expect(fixOrder(CHECKS)).toHaveLength(CHECKS.length);
  });
});
