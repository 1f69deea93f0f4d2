import { describe, expect, it } from 'vitest';
import type { RunResult } from '../engine/types';
import { RunReportSchema } from './json-schema';
import { md, renderHtml, renderJunit, renderMarkdown, renderText, toJsonReport, type Report } from './render';

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

describe('finding codes and suppressions in every format', () => {
  const suppressedRun: RunResult = {
    ...run,
    summary: { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0, suppressed: 1 },
    verdict: 'healthy',
    checks: [
      {
        ...run.checks[0]!,
        code: 'FD-POD-001',
        codeTitle: 'unhealthy workloads',
        suppressed: { reason: `known ${hostile}`, by: 'alice', expires: '2027-01-31' },
      },
    ],
  };
  const withReport = { ...report, run: suppressedRun };

  it('text and Markdown show the code and who accepted the finding, and count it apart', () => {
    const text = renderText(suppressedRun);
    expect(text).toContain('pod-health FD-POD-001 — crash');
    expect(text).toContain('suppressed by alice until 2027-01-31: known');
    expect(text).toContain('0 fail, 0 error, 0 skipped, 1 suppressed');
    const markdown = renderMarkdown(suppressedRun, withReport);
    expect(markdown).toContain('| FAIL (suppressed) | `pod-health` FD-POD-001 |');
    expect(markdown).toContain('> **Suppressed**: suppressed by alice until 2027\\-01\\-31: known');
  });

  it('JUnit reports it as skipped with who and why, not as a failure', () => {
    const xml = renderJunit(suppressedRun);
    expect(xml).not.toContain('<failure');
    expect(xml).toMatch(/<skipped message="FD-POD-001: suppressed by alice until 2027-01-31: known &lt;img/);
    expect(xml).toContain('failures="0"');
    expect(xml).toContain('skipped="1"');
  });

  it('a failure carries its code as the JUnit failure type', () => {
    const xml = renderJunit({ ...run, checks: [{ ...run.checks[0]!, code: 'FD-POD-001' }] });
    expect(xml).toContain(
      '<failure message="crash: &lt;img src=x onerror=alert(1)&gt; | `tick` &amp; &quot;quote&quot;" type="FD-POD-001">',
    );
  });

  it('JSON carries code and suppression, and the published schema accepts it', () => {
    const json = toJsonReport(suppressedRun);
    expect(json.checks[0]).toMatchObject({ code: 'FD-POD-001', suppressed: { by: 'alice' } });
    expect(RunReportSchema.safeParse(JSON.parse(JSON.stringify(json))).success).toBe(true);
  });

  it('HTML says it is suppressed, with the reason as inert text', () => {
    const page = renderHtml(withReport);
    expect(page).toContain('<b>Suppressed</b>: suppressed by alice until 2027-01-31: known &lt;img');
    expect(page).toContain('1 suppressed');
  });
});
