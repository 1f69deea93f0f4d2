import type { AnyCheck, CheckStatus, JobSignature } from '../engine/types';
import type { FlywheelJob } from './api';

/** Causes that are not the platform's: the job lacked data (flywheel-jobs.md). */
const DATA_SIGNATURES: readonly JobSignature[] = [
  {
    pattern: /A minimum of (\d+) records is required, but only (\d+) were found/,
    cause: 'not enough logged data: $2 records where the split needs $1 (data, not infrastructure)',
  },
];

/** The stage an error came from: its prefix, else where it was recorded. */
const STAGES: Array<[RegExp, string]> = [
  [/^Error creating datasets/, 'dataset creation'],
  [/^Error waiting for LLM as judge/, 'LLM judge'],
  [/^Error spinning up NIM/, 'NIM spin-up'],
  [/^Error running ([\w-]+) evaluation/, '$1 evaluation'],
  [/^Error starting customization/, 'customization'],
  [/^Cancelled by cleanup manager/, 'cancelled by a worker restart'],
];

/** The flywheel gives a NIM an hour to deploy and sync before it fails the job. */
export const SPIN_UP_TIMEOUT_MS = 3600_000;
/** A pending job with nothing running is stuck once it has waited this long. */
export const STUCK_AFTER_MS = 10 * 60_000;

export interface JobCause {
  stage: string;
  /** The error as the flywheel recorded it (shortened). */
  text: string;
  /** The check whose signature matched, and the cause in one line. */
  checkId?: string;
  cause?: string;
  /** Data, not infrastructure. */
  data?: boolean;
  /** The check's status now, and since when it passes (from the watch's history) when it does. */
  checkStatus?: CheckStatus;
  passingSince?: string;
}

export type JobVerdict = 'failed' | 'cancelled' | 'stuck' | 'queued' | 'running' | 'completed';

export interface JobTriage {
  id: string;
  status: string;
  workload?: string;
  startedAt?: string;
  finishedAt?: string;
  verdict: JobVerdict;
  causes: JobCause[];
  /** Why a pending job or NIM is stuck, not queued. */
  stuck?: string;
}

/** Where an error was recorded in a job, for the stage when its prefix does not say. */
function errorsOf(job: FlywheelJob): Array<{ where: string; text: string }> {
  const out: Array<{ where: string; text: string }> = [];
  const add = (where: string, t: string | null | undefined) => t && out.push({ where, text: t });
  add('job', job.error);
  add('LLM judge', job.llm_judge?.error);
  for (const nim of job.nims ?? []) {
    const m = nim.model_name ?? 'NIM';
    add(`NIM ${m}`, nim.error);
    for (const e of nim.evaluations ?? []) add(`${e.eval_type ?? 'evaluation'} of ${m}`, e.error);
    for (const c of nim.customizations ?? []) add(`customization of ${m}`, c.error);
  }
  // The same text recorded on the job and on its NIM is one cause.
  return out.filter((e, i) => out.findIndex((o) => o.text === e.text) === i);
}

function stageOf(text: string, where: string): string {
  for (const [re, name] of STAGES) {
    const m = text.match(re);
    if (m) return name.replace('$1', m[1] ?? '');
  }
  return where;
}

const fill = (template: string, m: RegExpMatchArray) => template.replace(/\$(\d)/g, (_, i) => m[Number(i)] ?? '');

/** The signatures every check declares (registry order), then the data ones. */
export function signaturesOf(registry: readonly AnyCheck[]) {
  return [
    ...registry.flatMap((c) =>
      (c.explain.jobSignatures ?? []).map((s) => ({ ...s, checkId: c.id as string | undefined })),
    ),
    ...DATA_SIGNATURES.map((s) => ({ ...s, checkId: undefined })),
  ];
}

/** One error's cause: the first signature that matches, or unclassified (shown with its text). */
export function classify(text: string, where: string, signatures: ReturnType<typeof signaturesOf>): JobCause {
  const stage = stageOf(text, where);
  const short = text.length > 500 ? `${text.slice(0, 500)}…` : text;
  for (const s of signatures) {
    const m = text.match(s.pattern);
    if (m)
      return { stage, text: short, cause: fill(s.cause, m), ...(s.checkId ? { checkId: s.checkId } : { data: true }) };
  }
  return { stage, text: short };
}

export interface CheckState {
  status: CheckStatus;
  /** When it last turned to pass, from the watch's history (absent when unknown). */
  passingSince?: string;
}

/**
 * Every job of the window, explained: failed ones traced to the check whose signature their error
 * carries (with that check's status now), pending ones told apart as queued (another job runs: the
 * parent queue runs one at a time) or stuck (nothing runs, or a NIM past the spin-up timeout).
 */
export function triageJobs(
  jobs: readonly FlywheelJob[],
  registry: readonly AnyCheck[],
  checks: Record<string, CheckState>,
  now = Date.now(),
  /** What the flywheel's Celery workers are doing (workerEvidence), said with a stuck pending job. */
  workers?: string,
): JobTriage[] {
  const signatures = signaturesOf(registry);
  const running = jobs.some((j) => j.status === 'running');
  return jobs.map((job) => {
    const base = {
      id: job.id,
      status: job.status,
      workload: job.workload_id ?? undefined,
      startedAt: job.started_at ?? undefined,
      finishedAt: job.finished_at ?? undefined,
    };
    const causes = errorsOf(job).map((e) => {
      const c = classify(e.text, e.where, signatures);
      const state = c.checkId ? checks[c.checkId] : undefined;
      return state
        ? { ...c, checkStatus: state.status, ...(state.passingSince ? { passingSince: state.passingSince } : {}) }
        : c;
    });
    if (job.status === 'failed') return { ...base, verdict: 'failed', causes };
    if (job.status === 'cancelled') return { ...base, verdict: 'cancelled', causes };
    if (job.status === 'completed') return { ...base, verdict: 'completed', causes };
    const waited = now - (Date.parse(job.started_at ?? '') || now);
    if (job.status === 'pending') {
      if (running) return { ...base, verdict: 'queued', causes };
      if (waited >= STUCK_AFTER_MS)
        return {
          ...base,
          verdict: 'stuck',
          causes,
          stuck: `pending for ${Math.round(waited / 60_000)} min with no job running: only one job runs at a time, and none does. ${workers ?? "A worker that restarted purged its queue (workers start with --purge), so this job's message is gone"}: start it again`,
        };
      return { ...base, verdict: 'queued', causes };
    }
    // Running: a NIM pending past the spin-up timeout is stuck.
    const late = (job.nims ?? []).find(
      (n) => n.status === 'pending' && n.deployment_status !== 'ready' && waited >= SPIN_UP_TIMEOUT_MS,
    );
    if (late)
      return {
        ...base,
        verdict: 'stuck',
        causes,
        stuck: `NIM ${late.model_name} has been pending for over ${SPIN_UP_TIMEOUT_MS / 60_000} min (deployment status ${late.deployment_status ?? 'unknown'}): past the flywheel's spin-up timeout`,
      };
    return { ...base, verdict: 'running', causes };
  });
}

/** One line per cause, as the CLI and the report say it. */
export function causeLine(c: JobCause): string {
  if (c.data) return `${c.stage}: ${c.cause}`;
  if (!c.checkId) return `${c.stage}: unclassified: ${c.text}`;
  const now =
    c.checkStatus === 'pass'
      ? c.passingSince
        ? `has passed since ${c.passingSince}: re-run the job`
        : 'passes now: re-run the job'
      : c.checkStatus
        ? `is still ${c.checkStatus === 'fail' ? 'failing' : c.checkStatus}: fix it (flywheel-doctor fix ${c.checkId})`
        : 'was not run';
  return `${c.stage}: failed because ${c.cause}; check ${c.checkId} ${now}`;
}

/** A recent job failed for a cause whose check still does not pass (the CLI's exit code 1). */
export const failsStill = (t: JobTriage) =>
  (t.verdict === 'failed' || t.verdict === 'stuck') &&
  t.causes.some((c) => c.checkId && c.checkStatus && c.checkStatus !== 'pass');

interface WorkerPod {
  name: string;
  ready: boolean;
  restarts: number;
  waiting?: string;
}

/**
 * Why a pending job with nothing running is stuck, from the flywheel's Celery worker pods: none there,
 * one not ready (crash-looping: it never takes the job), or one that restarted (a restart purges the
 * queue: workers start with --purge, so the job's message is gone).
 */
export function workerEvidence(pods: readonly WorkerPod[]): string {
  if (!pods.length) return 'No Celery worker pod is running (df-celery-*), so nothing takes the job';
  const down = pods.filter((p) => !p.ready);
  if (down.length)
    return `Celery worker ${down.map((p) => `${p.name} is not ready${p.waiting ? ` (${p.waiting})` : ''}`).join(', ')}: it never takes the job`;
  const restarted = pods.filter((p) => p.restarts > 0);
  if (restarted.length)
    return `Celery worker ${restarted.map((p) => `${p.name} restarted ${p.restarts} time(s)`).join(', ')}: a restart purges the queue (workers start with --purge), so this job's message is gone`;
  return "The workers are up and idle: the job's message was lost (a worker restart purges the queue)";
}
