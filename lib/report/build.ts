import type { Doctor } from '../engine/doctor';
import type { RunResult } from '../engine/types';
import { redactRun } from './redact';
import { type Report } from './render';
import { HistoryStore } from '../watch/history';
import { jobsForReport } from '../jobs/report';
import { newReportId } from './store';

export const TOOL = { name: 'flywheel-doctor', version: '0.1.0' };

/** A shareable report of a run: redacted, with cluster/tool versions and the fixes applied. */
export async function buildReport(
  doctor: Doctor,
  run: RunResult,
  opts: { createdBy: string; anonymize: boolean },
): Promise<Report> {
  const cluster = await doctor.clusterInfo();
  const serverHost = (() => {
    try {
      return new URL(cluster.server).hostname;
    } catch {
      return '';
    }
  })();
  const { run: clean, masked } = redactRun(
    run,
    opts.anonymize ? { anonymize: { namespace: run.namespace, hosts: [serverHost] } } : {},
  );
  const fixes = doctor.fixLog.filter((f) => Date.parse(f.at) >= Date.parse(run.startedAt) - 6 * 3600_000);
  // Fixes applied after the run finished: the run shows the state before them, so the report says so.
  const finished = Date.parse(run.finishedAt ?? run.startedAt);
  const fixedAfterRun: Report['fixedAfterRun'] = {};
  for (const f of fixes)
    if (f.outcome === 'applied' && Date.parse(f.at) > finished && run.checks.some((c) => c.id === f.checkId))
      fixedAfterRun[f.checkId] = { at: f.at, verified: f.verifiedStatus };
  // The watch's record of the same time range: regressions (what changed, who changed it) and automatic fixes.
  const since = new Date(Date.parse(run.startedAt) - 6 * 3600_000).toISOString();
  const history = await Promise.resolve()
    .then(() => new HistoryStore(doctor.client(), doctor.appNamespace, run.namespace).since(since))
    .catch(() => []); // no history (not watched, or not readable): the report has the run alone
  const regressions: NonNullable<Report['regressions']> = history.flatMap((e) =>
    e.transitions
      .filter((t) => t.from === 'pass' && t.to !== 'pass')
      .map((t) => ({
        at: e.at,
        check: t.check,
        to: t.to,
        cause: e.trigger
          ? `${e.trigger.kind} ${e.trigger.name} changed${e.trigger.changedBy ? ` by ${e.trigger.changedBy}` : ''}${e.trigger.diff.length ? ` (${e.trigger.diff.map((d) => d.path).join(', ')})` : ''}${e.trigger.then ? `, then ${e.trigger.then.kind} ${e.trigger.then.name}${e.trigger.then.changedBy ? ` by ${e.trigger.then.changedBy}` : ''}` : ''}`
          : undefined,
      })),
  );
  for (const e of history)
    for (const f of e.fixes ?? [])
      if (f.auto)
        fixes.push({
          checkId: f.check,
          at: e.at,
          by: `${f.by} (automatic, on regression)`,
          outcome: f.outcome,
          summary: f.summary,
          verifiedStatus: f.verified,
        });
  // The flywheel's jobs of the same range, judged by this run's results (best effort).
  const jobs = await jobsForReport(doctor, run, Date.parse(since));
  return {
    id: newReportId(),
    createdAt: new Date().toISOString(),
    createdBy: opts.createdBy,
    tool: TOOL,
    cluster: { server: opts.anonymize ? '<api-server>' : cluster.server, version: cluster.version },
    run: clean,
    fixes: opts.anonymize
      ? fixes.map((f) => ({ ...f, summary: f.summary.split(run.namespace).join('<namespace>') }))
      : fixes,
    masked,
    anonymized: opts.anonymize,
    ...(Object.keys(fixedAfterRun).length ? { fixedAfterRun } : {}),
    ...(jobs?.length
      ? {
          jobs: opts.anonymize
            ? (JSON.parse(JSON.stringify(jobs).split(run.namespace).join('<namespace>')) as typeof jobs)
            : jobs,
        }
      : {}),
    ...(regressions.length
      ? {
          regressions: opts.anonymize
            ? regressions.map((r) => ({ ...r, cause: r.cause?.split(run.namespace).join('<namespace>') }))
            : regressions,
        }
      : {}),
  };
}
