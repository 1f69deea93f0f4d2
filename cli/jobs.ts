/**
 * `flywheel-doctor jobs`: the flywheel's recent jobs, each failed or stuck one traced to the check
 * that explains it and that check's status now (lib/jobs). Read-only.
 */
import type { JobsReport } from '../lib/jobs/report';
import { causeLine, failsStill, type JobTriage } from '../lib/jobs/triage';
import { code, md, printable } from '../lib/report/render';

export { jobsReport, parseSince, type JobsReport } from '../lib/jobs/report';

const LABEL: Record<JobTriage['verdict'], string> = {
  failed: 'FAILED',
  cancelled: 'CANCELLED',
  stuck: 'STUCK',
  queued: 'QUEUED',
  running: 'RUNNING',
  completed: 'OK',
};

export function renderJobsText(r: JobsReport): string {
  const count = (v: JobTriage['verdict']) => r.jobs.filter((j) => j.verdict === v).length;
  const lines = [
    `Flywheel jobs in ${r.namespace} since ${r.since} (${r.api}): ${r.jobs.length} job(s), ${count('failed')} failed, ${count('stuck')} stuck, ${count('queued')} queued`,
    '',
  ];
  if (!r.jobs.length) lines.push('No job started in this window.');
  for (const j of r.jobs) {
    lines.push(`[${LABEL[j.verdict].padEnd(9)}] ${j.id}  ${j.workload ?? ''}  started ${j.startedAt ?? '?'}`);
    if (j.stuck) lines.push(`            stuck: ${j.stuck}`);
    for (const c of j.causes) lines.push(`            ${causeLine(c)}`);
  }
  return printable(lines.join('\n')) + '\n';
}

export function renderJobsMarkdown(r: JobsReport): string {
  const rows = r.jobs.map(
    (j) =>
      `| ${LABEL[j.verdict]} | ${code(j.id)} | ${md(j.startedAt ?? '')} | ${[j.stuck ? `stuck: ${md(j.stuck)}` : '', ...j.causes.map((c) => md(causeLine(c)))].filter(Boolean).join('<br>') || '—'} |`,
  );
  return [
    `## Flywheel jobs in ${md(r.namespace)} since ${md(r.since)}`,
    '',
    '| Verdict | Job | Started | Cause |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** The exit code: 2 when the jobs could not be read, 1 when a recent job failed for a cause that still fails. */
export function jobsExitCode(r: JobsReport): number {
  return r.jobs.some(failsStill) ? 1 : 0;
}
