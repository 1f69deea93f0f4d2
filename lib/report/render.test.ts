import { describe, expect, it } from 'vitest';
import type { RunResult } from '../engine/types';
import { md, renderHtml, renderJunit, renderMarkdown, toJsonReport, type Report } from './render';

const hostile = '<img src=x onerror=alert(1)> | `tick` & "quote"';
const run: RunResult = {
  id: 'r1',
  namespace: 'flywheel',
  startedAt: '2026-11-28T00:00:00.000Z',
  finishedAt: '2026-11-28T00:00:01.000Z',
  state: 'done',
  summary: { pass: 0, warn: 0, fail: 1, error: 0, skipped: 0, suppressed: 0 },
  verdict: 'unhealthy',
  pending: [],
  timings: { snapshotMs: 1, totalMs: 2 },
  checks: [
    {
      id: 'pod-health',
      title: 'Pods',
      area: 'Workloads',
      status: 'fail',
      summary: `crash: ${hostile}`,
      evidence: [{ label: 'log', value: `line1\n${hostile}\n\`\`\`fence`, code: true }],
      symptom: 's',
      rootCause: 'r',
      manualFix: ['oc get pods'],
      fix: { available: true, description: 'restart' },
      durationMs: 3,
    },
  ],
};
const report: Report = {
  id: 'abc',
  createdAt: 'now',
  createdBy: 'me',
  tool: { name: 'fd', version: '1' },
  cluster: { server: 'https://api', version: 'v1.34.4' },
  run,
  fixes: [],
  masked: [],
  anonymized: false,
};

describe('renderers treat cluster strings as text', () => {
  it('HTML escapes everything and carries a CSP without scripts', () => {
    const html = renderHtml(report);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script/i);
  });
  it('Markdown escapes table pipes and HTML, and keeps code fences intact', () => {
    const md = renderMarkdown(run, report);
    expect(md).toContain('crash: &lt;img src=x onerror=alert\\(1\\)\\> \\| \\`tick\\`');
    expect(md).toContain('````\n'); // a value containing ``` is fenced with a longer fence
  });
  it('JUnit escapes XML and maps statuses', () => {
    const xml = renderJunit(run);
    expect(xml).toContain('failures="1"');
    expect(xml).toContain('&lt;img');
    expect(xml).not.toContain('<img');
  });
  it('JSON has the documented shape', () => {
    const j = toJsonReport(run);
    expect(Object.keys(j)).toEqual(
      expect.arrayContaining(['namespace', 'startedAt', 'finishedAt', 'summary', 'checks']),
    );
    expect(j.checks[0]).toMatchObject({
      id: 'pod-health',
      status: 'fail',
      fix: { available: true, description: 'restart' },
    });
  });
});

describe('Markdown from cluster strings', () => {
  it.each([
    ['[click](javascript:alert(1))', /^\\\[click\\\]\\\(javascript:alert\\\(1\\\)\\\)$/],
    ['![img](http://x/y.png)', /^\\!\\\[img\\\]/],
    ['<script>alert(1)</script>', /^&lt;script/],
    ['**bold** _it_ `code`', /^\\\*\\\*bold\\\*\\\* \\_it\\_ \\`code\\`$/],
    ['a | b\nc', /^a \\\| b<br>c$/],
  ])('%s stays inert', (input, expected) => {
    expect(md(input)).toMatch(expected);
  });
});
