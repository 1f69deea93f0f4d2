/**
 * `flywheel-doctor jobs`: the flywheel's recent jobs, each failed or stuck one traced to the check
 * that explains it and that check's status now (lib/jobs). Read-only.
 */
import type { Doctor } from '../lib/engine/doctor';
import type { CheckStatus } from '../lib/engine/types';
import { errorMessage } from '../lib/k8s/errors';
import { JobApiError, jobApiBase, readJobs } from '../lib/jobs/api';
import { causeLine, failsStill, triageJobs, type CheckState, type JobTriage } from '../lib/jobs/triage';
import { code, md, printable } from '../lib/report/render';
import { HistoryStore } from '../lib/watch/history';

const UNITS: Record<string, number> = { m: 60_000, h: 3600_000, d: 86_400_000 };

/** "24h", "7d", "90m" in ms; undefined when it is none of those. */
export function parseSince(raw: string): number | undefined {
  const m = raw.trim().match(/^(\d+)\s*([mhd])$/);
  return m ? Number(m[1]) * UNITS[m[2]!]! : undefined;
}

export interface JobsReport {
  namespace: string;
  since: string;
  api: string;
  jobs: JobTriage[];
}

/** When each passing check last turned to pass, from the watch's history (best effort: none when unreadable). */
async function passingSince(doctor: Doctor): Promise<Record<string, string>> {
  try {
    const entries = await new HistoryStore(doctor.client(), doctor.appNamespace, doctor.config.namespace).load();
    const since: Record<string, string> = {};
    for (const e of entries) for (const t of e.transitions) if (t.to === 'pass') since[t.check] = e.at;
    return since;
  } catch {
    return {};
  }
}

/** Reads, judges and explains the window's jobs (the CLI's and any other front door's one path). */
export async function jobsReport(doctor: Doctor, sinceMs: number, now = Date.now()): Promise<JobsReport> {
  const api = jobApiBase(doctor.config);
  const jobs = await readJobs(api, { since: now - sinceMs, limit: 50 });
  const first = triageJobs(jobs, doctor.registry, {}, now);
  const ids = [...new Set(first.flatMap((j) => j.causes.map((c) => c.checkId).filter((i): i is string => !!i)))];
  const states: Record<string, CheckState> = {};
  if (ids.length) {
    const [run, since] = await Promise.all([doctor.run(ids), passingSince(doctor)]);
    for (const c of run.checks)
      states[c.id] = {
        status: c.status as CheckStatus,
        ...(c.status === 'pass' && since[c.id] ? { passingSince: since[c.id] } : {}),
      };
  }
  return {
    namespace: doctor.config.namespace,
    since: new Date(now - sinceMs).toISOString(),
    api,
    jobs: triageJobs(jobs, doctor.registry, states, now),
  };
}

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

export const jobsErrorMessage = (e: unknown) =>
  e instanceof JobApiError
    ? `${e.message}. Outside the cluster set FD_SERVICE_URL_OVERRIDES=df-api-service=http://<reachable address>`
    : errorMessage(e);
