'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { compareRuns } from '../lib/compare';
import { doctorQueries } from '../lib/queries';
import { StatusBadge } from './StatusBadge';

/** Two reports side by side: the status of each check in both, and the evidence rows that differ. */
export function CompareView() {
  const params = useSearchParams();
  const a = useQuery({ ...doctorQueries.report(params.get('a') ?? ''), enabled: !!params.get('a') });
  const b = useQuery({ ...doctorQueries.report(params.get('b') ?? ''), enabled: !!params.get('b') });
  const ra = a.data?.report;
  const rb = b.data?.report;
  const changes = ra && rb ? compareRuns(ra.run, rb.run) : [];
  const changed = changes.filter((c) => c.before !== c.after || c.evidence.length);
  return (
    <div className="mx-auto max-w-6xl space-y-4 p-4">
      <header className="flex flex-wrap items-center gap-3 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
        <Link href="/" className="text-sky-800 underline dark:text-sky-300">
          ← Dashboard
        </Link>
        <h1 className="text-xl font-bold">Compare reports</h1>
        {ra && rb && (
          <p className="text-sm">
            <span className="font-mono">{ra.id}</span> ({new Date(ra.createdAt).toLocaleString()}, {ra.run.namespace}) →{' '}
            <span className="font-mono">{rb.id}</span> ({new Date(rb.createdAt).toLocaleString()}, {rb.run.namespace})
          </p>
        )}
      </header>
      {(a.isError || b.isError) && (
        <p role="alert" className="text-red-800 dark:text-red-300">
          {(a.error ?? b.error)?.message}
        </p>
      )}
      {ra && rb && (
        <p role="status">
          {changed.length} of {changes.length} checks changed.
        </p>
      )}
      {ra && rb && (
        <table className="w-full border-collapse text-sm">
          <caption className="sr-only">Status per check in both reports, and the evidence that differs</caption>
          <thead>
            <tr className="text-left">
              <th className="p-2">Check</th>
              <th className="p-2">Before</th>
              <th className="p-2">After</th>
              <th className="p-2">Evidence that differs</th>
            </tr>
          </thead>
          <tbody>
            {changes.map((c) => (
              <tr
                key={c.id}
                data-check-id={c.id}
                data-changed={c.before !== c.after || c.evidence.length > 0}
                className="border-t border-slate-200 align-top dark:border-slate-800"
              >
                <td className="p-2">
                  <span className="font-mono">{c.id}</span>
                </td>
                <td className="p-2">{c.before ? <StatusBadge status={c.before} /> : '—'}</td>
                <td className="p-2">{c.after ? <StatusBadge status={c.after} /> : '—'}</td>
                <td className="p-2">
                  {c.evidence.map((e) => (
                    <div key={e.label} className="mb-1">
                      <span className="font-semibold">{e.label}</span>:{' '}
                      <del className="font-mono text-red-800 dark:text-red-300">{e.before ?? '(none)'}</del> →{' '}
                      <ins className="font-mono text-green-800 no-underline dark:text-green-300">
                        {e.after ?? '(none)'}
                      </ins>
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
