/**
 * The jobs of a window, read and explained, for every front door (CLI `jobs`, GET /api/jobs, shared
 * reports): the flywheel's API read once (lib/jobs/api), the checks a failure points to run, and
 * "passed since" taken from the watch's history where there is one.
 */
import type { Doctor } from '../engine/doctor';
import type { CheckStatus, RunResult } from '../engine/types';
import { HistoryStore } from '../watch/history';
import { jobApiBase, readJobs } from './api';
import type { KObject } from '../k8s/object';
import { RESOURCES } from '../k8s/resources';
import { triageJobs, workerEvidence, type CheckState, type JobTriage } from './triage';

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

/** The Celery worker pods of the namespace, said as evidence for a stuck job (undefined when unreadable). */
async function workersOf(doctor: Doctor): Promise<string | undefined> {
  try {
    const pods = await doctor.client().list<KObject>(RESOURCES.pods, doctor.config.namespace);
    return workerEvidence(
      pods.items
        .filter((p) => /^df-celery/.test(p.metadata?.name ?? ''))
        .map((p) => {
          const cs = (
            (p.status?.containerStatuses ?? []) as Array<{
              ready?: boolean;
              restartCount?: number;
              state?: { waiting?: { reason?: string } };
            }>
          )[0];
          return {
            name: p.metadata!.name!,
            ready: !!cs?.ready,
            restarts: cs?.restartCount ?? 0,
            waiting: cs?.state?.waiting?.reason,
          };
        }),
    );
  } catch {
    return undefined;
  }
}

/** Reads, judges and explains the window's jobs (the CLI's and any other front door's one path). */
export async function jobsReport(doctor: Doctor, sinceMs: number, now = Date.now()): Promise<JobsReport> {
  const api = jobApiBase(doctor.config);
  const jobs = await readJobs(api, { since: now - sinceMs, limit: 50 });
  const first = triageJobs(jobs, doctor.registry, {}, now);
  const workers = first.some((j) => j.verdict === 'stuck') ? await workersOf(doctor) : undefined;
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
    jobs: triageJobs(jobs, doctor.registry, states, now, workers),
  };
}

/**
 * The jobs of a shared report's time range, judged by the report's own run (the checks' status then,
 * not a new run); undefined when the flywheel's API cannot be read (the report has the run alone).
 */
export async function jobsForReport(doctor: Doctor, run: RunResult, since: number): Promise<JobTriage[] | undefined> {
  try {
    const jobs = await readJobs(jobApiBase(doctor.config), { since, limit: 50 });
    const states: Record<string, CheckState> = Object.fromEntries(run.checks.map((c) => [c.id, { status: c.status }]));
    return triageJobs(jobs, doctor.registry, states);
  } catch {
    return undefined;
  }
}
