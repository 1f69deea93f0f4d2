import type { AppliedFix, CheckResult, CheckStatus, RunResult } from '../engine/types';
import { causeLine, type JobTriage } from '../jobs/triage';
import { JSON_SCHEMA_VERSION } from './json-schema';
import type { Masked } from './redact';

/** A shareable report: a run plus its context. Built by lib/report/store.ts and the CLI. */
export interface Report {
  id: string;
  createdAt: string;
  createdBy: string;
  tool: { name: string; version: string };
  cluster: { server: string; version: string };
  run: RunResult;
  fixes: AppliedFix[];
  /** Checks fixed after the run (their result here is from before the fix): when, and the verified status. */
  fixedAfterRun?: Record<string, { at: string; verified?: CheckResult['status'] }>;
  /** Checks the watch saw regress in the report's time range, and the change that did it. */
  regressions?: Array<{ at: string; check: string; to: CheckResult['status']; cause?: string }>;
  /** The flywheel's jobs of the same time range, each failed or stuck one with its cause (lib/jobs). */
  jobs?: JobTriage[];
  masked: Masked[];
  anonymized: boolean;
}

/** How a result's fix reads in every format: the command, or why there is none and what to do instead. */
export function fixLine(c: CheckResult): string {
  return c.fix.available
    ? `fix: flywheel-doctor fix ${c.id}`
    : `no automatic fix: ${c.fix.reason ?? 'none'}; do it by hand (manual steps)`;
}

/**
 * Cluster text any parser accepts: terminal escape sequences (a Celery worker's colours) removed, and
 * every other character XML 1.0 forbids or HTML calls a parse error (C0 controls but tab, LF and CR;
 * DEL and C1 controls; lone surrogates; noncharacters) written out as `\uXXXX`. Every format uses it.
 */
export function printable(s: string): string {
  return s
    .replace(/\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g, '')
    .replace(
      /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
}

const ICON: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', error: 'ERROR', skipped: 'SKIP' };

/** The finding's code, and what the configuration did to it, in one line of plain text. */
export function codeLine(c: CheckResult): string {
  if (!c.code) return '';
  const parts = [`${c.code}${c.codeTitle ? ` (${c.codeTitle})` : ''}`];
  if (c.defaultSeverity) parts.push(`severity ${c.status} by configuration (default ${c.defaultSeverity})`);
  return parts.join('; ');
}

/** "suppressed by alice until 2027-01-31: reason", or '' when the finding is not suppressed. */
export function suppressedLine(c: CheckResult): string {
  const s = c.suppressed;
  return s ? `suppressed by ${s.by}${s.expires ? ` until ${s.expires}` : ''}: ${s.reason}` : '';
}

/** The counts every format prints, the suppressed ones when there are any. */
export function countsLine(s: RunResult['summary']): string {
  return `${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.error} error, ${s.skipped} skipped${s.suppressed ? `, ${s.suppressed} suppressed` : ''}`;
}

export function renderText(run: RunResult): string {
  return printable(renderTextRaw(run));
}

function renderTextRaw(run: RunResult): string {
  const lines = [`Flywheel Doctor — namespace ${run.namespace} — ${run.verdict.toUpperCase()}`, ''];
  for (const c of run.checks) {
    lines.push(`[${ICON[c.status].padEnd(5)}] ${c.id}${c.code ? ` ${c.code}` : ''} — ${c.summary}`);
    if (c.suppressed) lines.push(`          ${suppressedLine(c)}`);
    else if (c.status !== 'pass' && c.status !== 'skipped') {
      if (c.defaultSeverity) lines.push(`          ${codeLine(c)}`);
      for (const e of c.evidence) lines.push(`          ${e.label}: ${e.value.split('\n').join('\n            ')}`);
      lines.push(`          ${fixLine(c)}`);
    }
  }
  const s = run.summary;
  if (run.notice) lines.push('', `NOTE: ${run.notice}`);
  lines.push('', `${countsLine(s)} (${run.timings.totalMs} ms)`);
  return lines.join('\n') + '\n';
}

/**
 * Cluster text as a Markdown code span: inert (no emphasis, link or HTML), shown as it is. The fence
 * is longer than any run of backticks inside; `|` is escaped, which GFM tables need even in code.
 */
export function code(s: string): string {
  const text = printable(s).replace(/\r?\n/g, ' ');
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const ticks = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || /^ .* $/.test(text) ? ' ' : '';
  return `${ticks}${pad}${text.replace(/\|/g, '\\|')}${pad}${ticks}`;
}

/** A URL or a www. host in prose: GitHub autolinks those even when escaped, so they go in code spans. */
const LINKISH = /\b(?:[a-z][a-z0-9+.-]*:\/\/|www\.)[^\s<>"'`|]+/gi;

/**
 * Cluster text as inert Markdown prose: every character Markdown would act on is escaped (so
 * `[x](javascript:...)` stays text, never a link), URLs are code spans (escaped, cmark-gfm still
 * autolinks them with the backslashes in), `<` is an entity, newlines are <br>.
 */
export function md(s: string): string {
  const escape = (t: string) =>
    t
      .replace(/[\\`*_{}[\]()#+\-.!|~>]/g, (c) => `\\${c}`)
      .replace(/</g, '&lt;')
      .replace(/\r?\n/g, '<br>');
  const text = printable(s);
  let out = '';
  let last = 0;
  for (const m of text.matchAll(LINKISH)) {
    out += escape(text.slice(last, m.index)) + code(m[0]);
    last = m.index + m[0].length;
  }
  return out + escape(text.slice(last));
}

function fence(s: string): string {
  const text = printable(s);
  const longest = Math.max(2, ...(text.match(/^[ \t]*(`{3,}|~{3,})/gm) ?? []).map((r) => r.trim().length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}\n${text}\n${ticks}`;
}

function checkMarkdown(c: CheckResult): string {
  const parts = [`### ${ICON[c.status]} — ${md(c.title)} (\`${c.id}\`)`, '', md(c.summary), ''];
  if (c.code) parts.push(`Finding ${md(codeLine(c))}`, '');
  if (c.suppressed) parts.push(`> **Suppressed**: ${md(suppressedLine(c))}`, '');
  if (c.evidence.length) {
    parts.push('**Evidence**', '');
    for (const e of c.evidence)
      parts.push(
        e.code || e.value.includes('\n')
          ? `- ${md(e.label)}:\n\n${fence(e.value).replace(/^/gm, '  ')}\n`
          : `- ${md(e.label)}: ${code(e.value)}`,
      );
    parts.push('');
  }
  if (c.status !== 'pass' && c.status !== 'skipped') {
    parts.push(
      `**Root cause**: ${md(c.rootCause)}`,
      '',
      `**${md(fixLine(c))}**`,
      '',
      '**Manual fix**',
      '',
      fence(c.manualFix.join('\n')),
      '',
    );
  }
  return parts.join('\n');
}

export function renderMarkdown(run: RunResult, report?: Omit<Report, 'run'>): string {
  const s = run.summary;
  const head = [
    `# Flywheel Doctor report — ${md(run.namespace)}`,
    '',
    `Verdict: **${run.verdict}** — ${countsLine(s)}`,
    '',
    `- Run: ${run.startedAt} → ${run.finishedAt ?? '(running)'} (${run.timings.totalMs} ms)`,
    ...(run.notice ? [`- **Note:** ${md(run.notice)}`] : []),
  ];
  if (report) {
    head.push(
      `- Cluster: ${code(report.cluster.server)} (${md(report.cluster.version)})`,
      `- Tool: ${md(report.tool.name)} ${md(report.tool.version)}`,
      `- Shared by: ${md(report.createdBy)} at ${md(report.createdAt)}`,
    );
  }
  head.push(
    '',
    '| Status | Check | Summary |',
    '|---|---|---|',
    ...run.checks.map(
      (c) =>
        `| ${ICON[c.status]}${c.suppressed ? ' (suppressed)' : ''} | \`${c.id}\`${c.code ? ` ${c.code}` : ''} | ${md(c.summary)} |`,
    ),
    '',
  );
  const body = run.checks.map((c) => {
    const fixed = report?.fixedAfterRun?.[c.id];
    // The run shows this check before its fix: say so next to it.
    return fixed
      ? checkMarkdown(c).replace(
          '\n\n',
          `\n\n> Fixed at ${fixed.at}, verified ${fixed.verified ?? 'unknown'} (after this run).\n\n`,
        )
      : checkMarkdown(c);
  });
  const tail: string[] = [];
  if (report?.regressions?.length) {
    tail.push(
      '## Regressions seen by the watch',
      '',
      '| When | Check | Became | Cause |',
      '|---|---|---|---|',
      ...report.regressions.map((r) => `| ${r.at} | \`${r.check}\` | ${r.to} | ${md(r.cause ?? '')} |`),
      '',
    );
  }
  const attention = (report?.jobs ?? []).filter((j) => j.verdict === 'failed' || j.verdict === 'stuck');
  if (attention.length) {
    tail.push(
      '## Flywheel jobs in this time range that failed or are stuck',
      '',
      '| Job | Verdict | Cause |',
      '|---|---|---|',
      ...attention.map(
        (j) =>
          `| ${code(j.id)} | ${j.verdict} | ${[j.stuck ? md(`stuck: ${j.stuck}`) : '', ...j.causes.map((c) => md(causeLine(c)))].filter(Boolean).join('<br>') || '—'} |`,
      ),
      '',
    );
  }
  if (report?.fixes.length) {
    tail.push(
      '## Fixes applied in this session',
      '',
      '| When | Who | Check | Outcome |',
      '|---|---|---|---|',
      ...report.fixes.map(
        (f) =>
          `| ${f.at} | ${md(f.by)} | \`${f.checkId}\` | ${md(f.outcome)}: ${md(f.summary)}${f.verifiedStatus ? ` (verified: ${f.verifiedStatus})` : ''} |`,
      ),
      '',
    );
  }
  if (report) {
    tail.push(
      '## Redaction',
      '',
      report.masked.length
        ? `Masked ${report.masked.length} value(s): ${[...new Set(report.masked.map((m) => `${m.kind} in ${m.where}`))].map(md).join('; ')}.`
        : 'No credential-like values were found to mask. Secret values are never read.',
      report.anonymized ? 'Namespace and host names were replaced with placeholders.' : '',
      '',
    );
  }
  return [...head, '## Checks', '', ...body, ...tail].join('\n');
}

const xml = (s: string) =>
  printable(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderJunit(run: RunResult): string {
  const s = run.summary;
  const cases = run.checks.map((c) => {
    const detail = xml([c.summary, ...c.evidence.map((e) => `${e.label}: ${e.value}`)].join('\n'));
    const type = c.code ? ` type="${xml(c.code)}"` : '';
    // A suppressed finding is accepted: skipped, with who accepted it and why, never a failure.
    const inner = c.suppressed
      ? `<skipped message="${xml(`${c.code}: ${suppressedLine(c)}`)}"/>`
      : c.status === 'fail'
        ? `<failure message="${xml(c.summary)}"${type}>${detail}</failure>`
        : c.status === 'error'
          ? `<error message="${xml(c.summary)}"${type}>${detail}</error>`
          : c.status === 'skipped'
            ? `<skipped message="${xml(c.summary)}"/>`
            : c.status === 'warn'
              ? `<system-out>WARN: ${detail}</system-out>`
              : '';
    return `    <testcase classname="flywheel-doctor.${xml(c.area)}" name="${xml(c.id)}" time="${(c.durationMs / 1000).toFixed(3)}">${inner}</testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="flywheel-doctor" tests="${run.checks.length}" failures="${s.fail}" errors="${s.error}">
  <testsuite name="${xml(run.namespace)}" tests="${run.checks.length}" failures="${s.fail}" errors="${s.error}" skipped="${s.skipped + s.suppressed}" timestamp="${run.startedAt}">
${cases.join('\n')}
  </testsuite>
</testsuites>
`;
}

/** The machine-readable contract of `flywheel-doctor run --format json` (schemas/run-report.schema.json). */
export function toJsonReport(run: RunResult) {
  return {
    schemaVersion: JSON_SCHEMA_VERSION,
    namespace: run.namespace,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    verdict: run.verdict,
    summary: run.summary,
    ...(run.notice ? { notice: run.notice } : {}),
    checks: run.checks.map((c) => ({
      id: c.id,
      title: c.title,
      area: c.area,
      status: c.status,
      summary: c.summary,
      ...(c.code ? { code: c.code, codeTitle: c.codeTitle } : {}),
      ...(c.defaultSeverity ? { defaultSeverity: c.defaultSeverity } : {}),
      ...(c.suppressed ? { suppressed: c.suppressed } : {}),
      evidence: c.evidence,
      rootCause: c.rootCause,
      manualFix: c.manualFix,
      fix: c.fix,
      durationMs: c.durationMs,
    })),
  };
}

const html = (s: string) =>
  printable(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** The failed and stuck jobs of a report, as an HTML section (empty when there are none). */
function jobsHtml(jobs: JobTriage[] | undefined): string {
  const attention = (jobs ?? []).filter((j) => j.verdict === 'failed' || j.verdict === 'stuck');
  if (!attention.length) return '';
  return `<h2>Flywheel jobs that failed or are stuck</h2><ul>${attention
    .map(
      (j) =>
        `<li><code>${html(j.id)}</code> ${html(j.verdict)}${j.stuck ? `: ${html(j.stuck)}` : ''}<ul>${j.causes.map((c) => `<li>${html(causeLine(c))}</li>`).join('')}</ul></li>`,
    )
    .join('')}</ul>`;
}

/** A self-contained HTML file (inline CSS, no scripts): every cluster string escaped. */
export function renderHtml(report: Report): string {
  const { run } = report;
  const colors: Record<CheckStatus, string> = {
    pass: '#15803d',
    warn: '#b45309',
    fail: '#b91c1c',
    error: '#7e22ce',
    skipped: '#475569',
  };
  const checks = run.checks
    .map(
      (
        c,
      ) => `<section><h3><span class="b" style="background:${colors[c.status]}">${ICON[c.status]}</span> ${html(c.title)} <code>${html(c.id)}</code>${c.code ? ` <code>${html(c.code)}</code>` : ''}</h3><p>${html(c.summary)}</p>${c.suppressed ? `<p><b>Suppressed</b>: ${html(suppressedLine(c))}</p>` : ''}${c.defaultSeverity ? `<p>${html(codeLine(c))}</p>` : ''}
<dl>${c.evidence.map((e) => `<dt>${html(e.label)}</dt><dd>${e.code || e.value.includes('\n') ? `<pre>${html(e.value)}</pre>` : html(e.value)}</dd>`).join('')}</dl>
${c.status !== 'pass' && c.status !== 'skipped' ? `<p><b>Root cause:</b> ${html(c.rootCause)}</p><p>${html(fixLine(c))}</p><pre>${html(c.manualFix.join('\n'))}</pre>` : ''}</section>`,
    )
    .join('\n');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Flywheel Doctor report — ${html(run.namespace)}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#0f172a}pre{background:#f1f5f9;padding:.5rem;overflow:auto;white-space:pre-wrap}.b{color:#fff;border-radius:4px;padding:0 .4rem;font-size:12px}section{border-top:1px solid #e2e8f0;padding:.5rem 0}dt{font-weight:600}dd{margin:0 0 .5rem 1rem}@media(prefers-color-scheme:dark){body{background:#0f172a;color:#e2e8f0}pre{background:#1e293b}}</style></head>
<body><h1>Flywheel Doctor report — ${html(run.namespace)}</h1>
<p>Verdict <b>${html(run.verdict)}</b>: ${html(countsLine(run.summary))}.<br>
Cluster ${html(report.cluster.server)} (${html(report.cluster.version)}) · ${html(report.tool.name)} ${html(report.tool.version)} · run ${html(run.startedAt)} · shared by ${html(report.createdBy)} at ${html(report.createdAt)}</p>
${run.notice ? `<p><b>Note:</b> ${html(run.notice)}</p>` : ''}
<h2>Checks</h2>
${checks}
${jobsHtml(report.jobs)}
${report.fixes.length ? `<h2>Fixes applied</h2><ul>${report.fixes.map((f) => `<li>${html(f.at)} ${html(f.by)}: <code>${html(f.checkId)}</code> ${html(f.outcome)} — ${html(f.summary)}</li>`).join('')}</ul>` : ''}
<h2>Redaction</h2><p>${report.masked.length ? `Masked ${report.masked.length} value(s): ${html([...new Set(report.masked.map((m) => `${m.kind} in ${m.where}`))].join('; '))}` : 'No credential-like values found; secret values are never read.'}</p>
</body></html>
`;
}
