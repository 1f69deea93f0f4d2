'use client';
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import type { JobCause, JobTriage } from '../lib/api';
import { doctorQueries } from '../lib/queries';

const time = (iso?: string) => (iso ? new Date(iso).toLocaleString() : '?');
const LABEL: Record<JobTriage['verdict'], string> = {
  failed: 'Failed',
  cancelled: 'Cancelled',
  stuck: 'Stuck',
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
};
const TONE: Record<JobTriage['verdict'], string> = {
  failed: 'bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-100',
  cancelled: 'bg-slate-200 text-slate-900 dark:bg-slate-800 dark:text-slate-100',
  stuck: 'bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-100',
  queued: 'bg-slate-100 text-slate-800 dark:bg-slate-800 dark:text-slate-200',
  running: 'bg-blue-100 text-blue-900 dark:bg-blue-950 dark:text-blue-100',
  completed: 'bg-green-100 text-green-900 dark:bg-green-950 dark:text-green-100',
};

function Cause({ cause, namespace }: { cause: JobCause; namespace: string }) {
  if (!cause.checkId)
    return (
      <li>
        <span className="font-medium">{cause.stage}:</span>{' '}
        {cause.data ? (
          cause.cause
        ) : (
          <>
            unclassified: <span className="font-mono break-all">{cause.text}</span>
          </>
        )}
      </li>
    );
  const passing = cause.checkStatus === 'pass';
  return (
    <li>
      <span className="font-medium">{cause.stage}:</span> failed because {cause.cause}; check{' '}
      <Link
        className="font-mono underline"
        href={`/checks/${encodeURIComponent(cause.checkId)}?namespace=${encodeURIComponent(namespace)}`}
      >
        {cause.checkId}
      </Link>{' '}
      {passing ? (
        <>
          {cause.passingSince ? `has passed since ${time(cause.passingSince)}` : 'passes now'}:{' '}
          <strong>re-run the job</strong>
        </>
      ) : (
        <>
          is <strong>still {cause.checkStatus === 'fail' ? 'failing' : (cause.checkStatus ?? 'unknown')}</strong>{' '}
          <Link
            className="ml-1 rounded bg-blue-700 px-2 py-0.5 text-sm font-medium text-white hover:bg-blue-800"
            href={`/checks/${encodeURIComponent(cause.checkId)}?namespace=${encodeURIComponent(namespace)}`}
            aria-label={`Fix ${cause.checkId}`}
          >
            Fix
          </Link>
        </>
      )}
    </li>
  );
}

/**
 * "Why did my flywheel job fail?": the flywheel's failed and stuck jobs of the last 7 days, each with
 * its stage, its cause, the check that explains it and that check's Fix. Shown above the checks when
 * there is one; an API that cannot answer says why.
 */
export default function JobsPanel({ namespace }: { namespace: string }) {
  const jobs = useQuery(doctorQueries.jobs(namespace));
  if (jobs.error)
    return (
      <p role="status" className="text-sm text-slate-600 dark:text-slate-400">
        Flywheel jobs not shown: {(jobs.error as Error).message}
      </p>
    );
  const attention = (jobs.data?.jobs ?? []).filter((j) => j.verdict === 'failed' || j.verdict === 'stuck');
  if (!attention.length) return null;
  return (
    <section
      aria-labelledby="jobs-title"
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
    >
      <h2 id="jobs-title" className="font-semibold">
        Flywheel jobs that need you{' '}
        <span className="text-sm font-normal text-slate-600 dark:text-slate-400">
          ({attention.length} of {jobs.data!.jobs.length} since {time(jobs.data!.since)})
        </span>
      </h2>
      <ul className="space-y-3">
        {attention.map((j) => (
          <li
            key={j.id}
            data-testid={`job-${j.id}`}
            className="rounded border border-slate-200 p-3 dark:border-slate-700"
          >
            <p className="flex flex-wrap items-center gap-2 text-sm">
              <span className={`rounded px-2 py-0.5 font-semibold ${TONE[j.verdict]}`}>{LABEL[j.verdict]}</span>
              <span className="font-mono">{j.id}</span>
              {j.workload && <span>{j.workload}</span>}
              <span className="text-slate-600 dark:text-slate-400">started {time(j.startedAt)}</span>
            </p>
            {j.stuck && <p className="mt-1 text-sm">Stuck: {j.stuck}</p>}
            <ul className="mt-1 list-disc space-y-1 pl-5 text-sm">
              {j.causes.map((c, i) => (
                <Cause key={i} cause={c} namespace={namespace} />
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </section>
  );
}
