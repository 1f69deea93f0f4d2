/**
 * Every output format, judged by the programs that read it (installed by scripts/ensure-deps.sh):
 * libxml2's xmllint and Python's junitparser (what CI tooling uses) for JUnit, GitHub's cmark-gfm
 * and markdown-it for Markdown, html-validate for the HTML report, the published zod schema for
 * JSON. The run is a hostile-bytes corpus: every string a cluster can hand us, planted where cluster
 * text reaches the output (summaries, evidence, root causes, manual steps).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  activeElements,
  CONTROL,
  htmlFindings,
  junitparserRead,
  renderedMarkdown,
  xmllintFindings,
} from '../../test/consumers';
import type { CheckResult, RunResult } from '../engine/types';
import { JsonOutputSchema, RunReportSchema } from './json-schema';
import { redactRun } from './redact';
import { renderHtml, renderJunit, renderMarkdown, renderText, toJsonReport, type Report } from './render';

const CORPUS: Record<string, string> = {
  ansi: '\x1b[31mERROR\x1b[0m celery worker: \x1b[1;33mpidfile exists\x1b[0m',
  nul: 'before\x00after',
  c0: 'bell\x07 backspace\x08 vt\x0b ff\x0c esc\x1b del\x7f c1\x85\x9b',
  surrogates: 'lone high \ud800 and lone low \udc00 and a real pair 😀',
  rtl: 'name\u202egnp.exe\u200f\u200e',
  cdata: 'end of cdata ]]> and <![CDATA[ x ]]>',
  markdown: '# heading *em* _em_ [link](javascript:alert(1)) ![img](x) | pipe | `code` ~~s~~ <b>bold</b>',
  html: '<script>alert(1)</script><img src=x onerror=alert(1)> & "quote" \'single\'',
  url: 'ENTITY_STORE_URL=http://nemoentitystore-sample.flywheel.svc.cluster.local:8000/v1/models?a=1&b=2',
  www: 'see www.example.com/path_with_underscores',
  long: 'x'.repeat(20_000),
};
const URL_TEXT = 'http://nemoentitystore-sample.flywheel.svc.cluster.local:8000/v1/models?a=1&b=2';
const COMMAND = 'oc create secret generic ngc-api --from-literal=NGC_API_KEY=<your NGC API key>';

const check = (id: string, status: CheckResult['status'], text: string): CheckResult => ({
  id,
  title: `Check ${id}`,
  area: 'Hostile',
  status,
  summary: `summary: ${text}`,
  evidence: [
    { label: `label ${text.slice(0, 40)}`, value: text },
    { label: 'log', value: `${text}\n${text}`, code: true },
  ],
  symptom: 'symptom',
  rootCause: `root cause: ${text}`,
  manualFix: [COMMAND, `echo ${text.slice(0, 200)}`],
  fix: { available: status === 'fail', description: 'fix', ...(status === 'fail' ? {} : { reason: text }) },
  durationMs: 5,
});
const statuses: CheckResult['status'][] = ['fail', 'warn', 'error', 'skipped', 'pass'];
// Every non-pass result carries its code; the Markdown-hostile one is suppressed, with the hostile
// text as who accepted it and why (the configuration is cluster-adjacent text too).
const checks = Object.entries(CORPUS).map(([k, v], i) => {
  const c = check(k, statuses[i % statuses.length]!, v);
  if (c.status === 'pass') return c;
  const coded = { ...c, code: `FD-HOST-${String(i + 1).padStart(3, '0')}`, codeTitle: `title ${v.slice(0, 60)}` };
  return k === 'markdown' ? { ...coded, suppressed: { reason: v, by: v.slice(0, 40), expires: '2027-01-31' } } : coded;
});
const count = (s: CheckResult['status']) => checks.filter((c) => c.status === s && !c.suppressed).length;
const raw: RunResult = {
  id: 'r1',
  namespace: 'flywheel',
  startedAt: '2026-12-04T00:00:00.000Z',
  finishedAt: '2026-12-04T00:00:01.000Z',
  state: 'done',
  summary: {
    pass: count('pass'),
    warn: count('warn'),
    fail: count('fail'),
    error: count('error'),
    skipped: count('skipped'),
    suppressed: checks.filter((c) => c.suppressed).length,
  },
  verdict: 'unhealthy',
  pending: [],
  timings: { snapshotMs: 1, totalMs: 2 },
  checks,
};
// What the CLI and the download route do: mask first, then render.
const { run, masked } = redactRun(raw);
const report: Report = {
  id: 'abc',
  createdAt: '2026-12-04T00:00:02.000Z',
  createdBy: 'alice',
  tool: { name: 'flywheel-doctor', version: '0.2.0' },
  cluster: { server: 'https://api.example:6443', version: 'v1.34.4' },
  run,
  fixes: [],
  masked,
  anonymized: false,
};

describe('JUnit', () => {
  const xml = renderJunit(run);
  it('is well-formed XML 1.0 for libxml2 and valid against the Jenkins JUnit schema', () => {
    expect(xmllintFindings(xml)).toEqual([]);
  });
  it('reads back in junitparser with every case and its result', () => {
    const got = junitparserRead(xml);
    expect(got.tests).toBe(checks.length);
    expect(got.names).toEqual(checks.map((c) => c.id));
    expect(got.kinds.filter((k) => k === 'Failure')).toHaveLength(count('fail'));
    expect(got.kinds.filter((k) => k === 'Error')).toHaveLength(count('error'));
    // A suppressed finding is read as skipped (accepted), never as a failure.
    expect(got.kinds.filter((k) => k === 'Skipped')).toHaveLength(count('skipped') + run.summary.suppressed);
  });
});

describe('Markdown', () => {
  const markdown = renderMarkdown(run, report);
  const rendered = renderedMarkdown(markdown);
  it.each(rendered)('%s: no link, image or HTML element comes from cluster text', (_, out) => {
    expect(activeElements(out)).toEqual([]);
  });
  it.each(rendered)('%s: URLs and commands come out whole, as code', (_, out) => {
    const decoded = out
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"');
    expect(decoded).toContain(`<code>${URL_TEXT}</code>`);
    expect(decoded).toContain(COMMAND);
    expect(decoded).not.toContain('\\-sample');
  });
  it('the summary table has one row per check, three cells each (GitHub)', () => {
    const gfm = rendered[0]![1];
    const table = gfm.slice(gfm.indexOf('<table>'), gfm.indexOf('</table>'));
    const rows = table.split('<tr>').slice(2);
    expect(rows).toHaveLength(checks.length);
    for (const r of rows) expect(r.match(/<td>/g)).toHaveLength(3);
  });
});

describe('HTML report', () => {
  it('has no finding in html-validate (recommended rules)', async () => {
    expect(await htmlFindings(renderHtml(report))).toEqual([]);
  });
  it('holds no control character (vnu rejects them) and headings go down one level at a time', () => {
    const out = renderHtml(report);
    expect(out).not.toMatch(CONTROL);
    const levels = [...out.matchAll(/<h([1-6])/g)].map((m) => Number(m[1]));
    for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);
  });
});

describe('JSON', () => {
  it('matches the published schema, with its version', () => {
    const text = JSON.stringify(toJsonReport(run));
    const parsed = JSON.parse(text);
    expect(RunReportSchema.parse(parsed)).toBeTruthy();
    expect(JsonOutputSchema.parse(parsed)).toBeTruthy();
    expect(parsed.schemaVersion).toBe(1);
  });
  it('is valid JSON for Python too (lone surrogates escaped)', () => {
    const r = spawnSync('python3', ['-c', 'import sys, json; json.loads(sys.stdin.read()); print("ok")'], {
      input: JSON.stringify(toJsonReport(run)),
      encoding: 'utf8',
    });
    expect(r.stdout.trim()).toBe('ok');
  });
});

describe('text', () => {
  it('sends no terminal control sequence', () => {
    expect(renderText(run)).not.toMatch(CONTROL);
  });
  it('keeps the manual command pasteable after masking', () => {
    expect(JSON.stringify(run)).toContain(COMMAND.replace(/"/g, '\\"'));
  });
});

describe('the published JSON Schema', () => {
  it('is what the zod types generate (run: npx tsx scripts/gen-json-schema.ts)', async () => {
    const fs = await import('node:fs');
    const { publishedJsonSchema } = await import('./json-schema');
    const file = path.join(__dirname, '../../schemas/run-report.schema.json');
    expect(fs.readFileSync(file, 'utf8')).toBe(publishedJsonSchema());
  });
});
