import { z } from 'zod';
import { serviceBaseUrl, type BaseConfig } from '../config';
import { httpGet } from '../http';

/**
 * The Data Flywheel's job API (flywheel-jobs.md; blueprint src/api): read-only. The doctor never
 * creates, cancels or deletes a job. Every request is bounded in time and bytes, and every answer is
 * validated, so an unreachable, slow or garbled API is an explained error, never a crash.
 */
export const FLYWHEEL_API = { service: 'df-api-service', port: 8000 } as const;

const text = z.string().nullish();
const Evaluation = z.object({ eval_type: text, progress: z.number().nullish(), error: text }).passthrough();
const Customization = z.object({ progress: z.number().nullish(), customized_model: text, error: text }).passthrough();
const Nim = z
  .object({
    model_name: text,
    status: text,
    deployment_status: text,
    runtime_seconds: z.number().nullish(),
    evaluations: z.array(Evaluation).nullish(),
    customizations: z.array(Customization).nullish(),
    error: text,
  })
  .passthrough();

export const JobSchema = z
  .object({
    id: z.string(),
    workload_id: text,
    client_id: text,
    status: z.string(),
    started_at: text,
    finished_at: text,
    num_records: z.number().nullish(),
    llm_judge: z.object({ model_name: text, deployment_status: text, error: text }).passthrough().nullish(),
    nims: z.array(Nim).nullish(),
    error: text,
  })
  .passthrough();
export type FlywheelJob = z.infer<typeof JobSchema>;
const JobList = z.object({ jobs: z.array(JobSchema) });

export interface JobWindow {
  /** Only jobs started at or after this (ms since the epoch). */
  since: number;
  /** At most this many jobs, newest first. */
  limit: number;
  timeoutMs?: number;
}

/** The flywheel API could not be read; the message says why and how to point the doctor at it. */
export class JobApiError extends Error {
  constructor(reason: string) {
    super(
      `${reason}. Outside the cluster set FD_SERVICE_URL_OVERRIDES=${FLYWHEEL_API.service}=http://<reachable address>`,
    );
  }
}

/** The API's address: the Service in the namespace, or its override outside the cluster. */
export const jobApiBase = (config: BaseConfig) => serviceBaseUrl(config, FLYWHEEL_API.service, FLYWHEEL_API.port);

async function getJson(url: string, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
  let res;
  try {
    res = await httpGet(url, { timeoutMs, signal, maxBytes: 2 * 1024 * 1024 });
  } catch (e) {
    const err = e as Error & { code?: string };
    const why = err.code === 'ETIMEDOUT' ? `no answer within ${timeoutMs / 1000} s` : (err.code ?? err.message);
    throw new JobApiError(`the flywheel API at ${url} cannot be reached: ${why}`);
  }
  if (res.status !== 200) throw new JobApiError(`GET ${url} answered HTTP ${res.status}: ${res.body.slice(0, 200)}`);
  try {
    return JSON.parse(res.body);
  } catch {
    throw new JobApiError(`GET ${url} did not answer JSON (first bytes: ${JSON.stringify(res.body.slice(0, 80))})`);
  }
}

/**
 * The jobs of the window, newest first, with the detail of every one that did not complete (failed,
 * cancelled, pending, running): `GET /api/jobs`, then `GET /api/jobs/{id}` for those.
 */
export async function readJobs(base: string, window: JobWindow, signal?: AbortSignal): Promise<FlywheelJob[]> {
  const timeoutMs = window.timeoutMs ?? 5000;
  const listed = JobList.safeParse(await getJson(`${base}/api/jobs`, timeoutMs, signal));
  if (!listed.success)
    throw new JobApiError(
      `GET ${base}/api/jobs answered something other than the job list: ${listed.error.issues[0]?.path.join('.')} ${listed.error.issues[0]?.message}`,
    );
  const recent = listed.data.jobs
    .filter((j) => (Date.parse(j.started_at ?? '') || 0) >= window.since)
    .sort((a, b) => (Date.parse(b.started_at ?? '') || 0) - (Date.parse(a.started_at ?? '') || 0))
    .slice(0, window.limit);
  return Promise.all(
    recent.map(async (j) => {
      if (j.status === 'completed') return j;
      const detail = JobSchema.safeParse(
        await getJson(`${base}/api/jobs/${encodeURIComponent(j.id)}`, timeoutMs, signal),
      );
      return detail.success ? detail.data : j;
    }),
  );
}
