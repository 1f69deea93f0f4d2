'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { doctorQueries } from '../lib/queries';
import { CheckCard } from './CheckCard';
import { Summary } from './Summary';
import { ThemeToggle } from './ThemeToggle';

/** A stored report, read-only: same cards as the dashboard, no actions. */
export function ReportView({ id }: { id: string }) {
  const q = useQuery(doctorQueries.report(id));
  const r = q.data?.report;
  return (
    <div className="mx-auto max-w-6xl space-y-4 p-4">
      <header className="flex flex-wrap items-center gap-4 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
        <h1 className="text-xl font-bold">
          Flywheel Doctor report <span className="font-mono text-base">{id}</span>
        </h1>
        <Link href="/" className="text-sm text-sky-700 underline dark:text-sky-400">
          Open the dashboard
        </Link>
        <div className="ml-auto flex gap-2 text-sm">
          <a className="underline" href={`/api/reports/${id}/download?format=md`} download>
            Markdown
          </a>
          <a className="underline" href={`/api/reports/${id}/download?format=json`} download>
            JSON
          </a>
          <a className="underline" href={`/api/reports/${id}/download?format=html`} download>
            HTML
          </a>
          <ThemeToggle />
        </div>
      </header>
      {q.isPending && <p role="status">Loading report…</p>}
      {q.isError && (
        <div
          role="alert"
          className="rounded border border-red-300 bg-red-50 p-3 text-red-900 dark:bg-red-950/40 dark:text-red-100"
        >
          {q.error.message}
        </div>
      )}
      {r && (
        <>
          <dl className="grid grid-cols-1 gap-1 text-sm sm:grid-cols-2">
            <div>
              <dt className="inline text-slate-600 dark:text-slate-400">Namespace </dt>
              <dd className="inline font-mono" data-testid="report-namespace">
                {r.run.namespace}
              </dd>
            </div>
            <div>
              <dt className="inline text-slate-600 dark:text-slate-400">Cluster </dt>
              <dd className="inline font-mono">
                {r.cluster.server} ({r.cluster.version})
              </dd>
            </div>
            <div>
              <dt className="inline text-slate-600 dark:text-slate-400">Run </dt>
              <dd className="inline">{r.run.startedAt}</dd>
            </div>
            <div>
              <dt className="inline text-slate-600 dark:text-slate-400">Shared by </dt>
              <dd className="inline">
                {r.createdBy} at {r.createdAt}
              </dd>
            </div>
            <div>
              <dt className="inline text-slate-600 dark:text-slate-400">Tool </dt>
              <dd className="inline">
                {r.tool.name} {r.tool.version}
              </dd>
            </div>
          </dl>
          <Summary run={r.run} />
          <div className="space-y-2">
            {r.run.checks.map((c) => {
              const fixed = r.fixedAfterRun?.[c.id];
              return (
                <CheckCard
                  key={c.id}
                  result={c}
                  actions={
                    fixed && (
                      <span
                        role="note"
                        data-testid={`fixed-after-${c.id}`}
                        className="text-sm text-green-800 dark:text-green-300"
                      >
                        Fixed at {new Date(fixed.at).toLocaleString()}, verified {fixed.verified ?? 'unknown'}
                      </span>
                    )
                  }
                />
              );
            })}
          </div>
          {r.regressions && r.regressions.length > 0 && (
            <ListSection label="Regressions" title="Regressions seen by the watch">
              {r.regressions.map((g, i) => (
                <li key={i}>
                  {new Date(g.at).toLocaleString()}: <span className="font-mono">{g.check}</span> became {g.to}
                  {g.cause ? ` — ${g.cause}` : ''}
                </li>
              ))}
            </ListSection>
          )}
          {r.fixes.length > 0 && (
            <ListSection label="Fixes applied" title="Fixes applied in this session">
              {r.fixes.map((f, i) => (
                <li key={i}>
                  {f.at} — {f.by}: <span className="font-mono">{f.checkId}</span> {f.outcome}: {f.summary}
                  {f.verifiedStatus ? ` (verified ${f.verifiedStatus})` : ''}
                </li>
              ))}
            </ListSection>
          )}
          <p className="text-sm text-slate-600 dark:text-slate-400">
            {r.masked.length
              ? `Masked ${r.masked.length} credential-like value(s): ${[...new Set(r.masked.map((m) => `${m.kind} in ${m.where}`))].join('; ')}.`
              : 'No credential-like values were found; secret values are never read.'}
            {r.anonymized && ' Namespace and host names were replaced with placeholders.'}
          </p>
        </>
      )}
    </div>
  );
}

/** A titled list in a report (regressions, fixes). */
function ListSection({ label, title, children }: { label: string; title: string; children: React.ReactNode }) {
  return (
    <section
      aria-label={label}
      className="rounded-lg border border-slate-200 bg-white p-4 text-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <h2 className="font-semibold">{title}</h2>
      <ul className="list-disc pl-5">{children}</ul>
    </section>
  );
}
