import Link from 'next/link';
import type { RunResult } from '../lib/api';

const ORDER = [
  ['fail', 'Failing', 'text-red-800 dark:text-red-300'],
  ['error', 'Could not run', 'text-purple-800 dark:text-purple-300'],
  ['warn', 'Warnings', 'text-amber-800 dark:text-amber-300'],
  ['pass', 'Passing', 'text-green-800 dark:text-green-300'],
  ['skipped', 'Skipped', 'text-slate-600 dark:text-slate-400'],
] as const;

const VERDICT: Record<RunResult['verdict'], string> = {
  healthy: 'Healthy: every check passed',
  degraded: 'Degraded: warnings to review',
  unhealthy: 'Unhealthy: some checks fail',
  incomplete: 'Incomplete: some checks could not run, so health is unknown',
};

/** The verdict and the counts; each count links to the view of those checks. */
export function Summary({ run, linkFor }: { run: RunResult; linkFor?: (status: (typeof ORDER)[number][0]) => string }) {
  return (
    <section
      aria-label="Summary"
      className="flex flex-wrap items-center gap-4 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
    >
      <p className="mr-4 font-semibold" data-verdict={run.state === 'done' ? run.verdict : 'running'}>
        {run.state === 'done'
          ? VERDICT[run.verdict]
          : `Running… ${run.checks.length} of ${run.checks.length + run.pending.length} checks done`}
      </p>
      {ORDER.map(([k, label, cls]) => (
        <div key={k} className="text-center">
          {linkFor ? (
            <Link
              href={linkFor(k)}
              replace
              scroll={false}
              className={`block text-2xl font-bold underline-offset-4 hover:underline ${cls}`}
              aria-label={`${label}: ${run.summary[k]}`}
            >
              {run.summary[k]}
            </Link>
          ) : (
            // Plain text: the number and its label below are read in order (aria-label on a div is ignored).
            <div className={`text-2xl font-bold ${cls}`}>{run.summary[k]}</div>
          )}
          <div className="text-xs text-slate-600 dark:text-slate-400">{label}</div>
        </div>
      ))}
      {run.summary.suppressed > 0 && (
        <div className="text-center">
          <div className="text-2xl font-bold text-slate-600 dark:text-slate-400">{run.summary.suppressed}</div>
          <div className="text-xs text-slate-600 dark:text-slate-400">Suppressed</div>
        </div>
      )}
    </section>
  );
}
