import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Summary } from './Summary';

const run = {
  id: 'r',
  namespace: 'flywheel',
  startedAt: 'now',
  state: 'done',
  verdict: 'unhealthy',
  summary: { pass: 1, warn: 0, fail: 2, error: 0, skipped: 0 },
  checks: [],
  pending: [],
  timings: { snapshotMs: 0, totalMs: 0 },
} as never;

describe('Summary counters, as screen readers get them', () => {
  it.each([
    ['plain counters (report page)', undefined],
    ['counters that link to their view (dashboard)', () => '/?status=fail'],
  ])('%s: no aria-label on an element that has no role to carry it', (_, linkFor) => {
    const html = renderToStaticMarkup(createElement(Summary, { run, linkFor }));
    // aria-label belongs on links, landmarks and controls; on a plain div it is ignored.
    expect(html).not.toMatch(/<div[^>]*aria-label=/);
    expect(html).toMatch(/>2<\/(div|a)>[\s\S]*Failing/);
  });
});
