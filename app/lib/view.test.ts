import { describe, expect, it } from 'vitest';
import { parseView, viewQuery, visible } from './view';

const r = (id: string, status: string, area = 'Gateway', summary = '') =>
  ({ id, status, area, title: id, summary }) as never;
const RESULTS = [
  r('a', 'pass'),
  r('b', 'warn'),
  r('c', 'fail', 'NeMo Evaluator', 'ENTITY_STORE_URL'),
  r('d', 'error'),
  r('e', 'fail'),
];

describe('the dashboard view', () => {
  it('puts the most severe first, registry order within a status', () => {
    expect(visible(RESULTS, parseView(new URLSearchParams())).map((x: { id: string }) => x.id)).toEqual([
      'c',
      'e',
      'd',
      'b',
      'a',
    ]);
  });
  it.each([
    ['status=fail', ['c', 'e']],
    ['status=fail,warn&area=Gateway', ['e', 'b']],
    ['q=entity_store', ['c']],
    ['status=bogus', ['c', 'e', 'd', 'b', 'a']],
  ])('%s', (query, ids) => {
    expect(visible(RESULTS, parseView(new URLSearchParams(query))).map((x: { id: string }) => x.id)).toEqual(ids);
  });
  it('round-trips through the URL', () => {
    const v = { namespace: 'flywheel', status: ['fail' as const, 'warn' as const], area: 'Gateway', q: 'x y' };
    expect(parseView(new URLSearchParams(viewQuery(v).slice(1)))).toEqual(v);
    expect(viewQuery({ status: [] })).toBe('');
  });
});
